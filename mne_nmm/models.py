"""Public model API: every built-in neural mass model, the catalogue and the registry.

>>> import mne_nmm
>>> mne_nmm.list_models()                          # doctest: +SKIP
>>> model = mne_nmm.models.get_model("jansen_rit", mu=0.15)
>>> model.state_variables
('y0', 'y1', 'y2', 'y3', 'y4', 'y5')

See :mod:`mne_nmm.core.models.registry` for the conventions that differ between
tools (TVB ``nsig`` vs ``sigma``: :meth:`mne_nmm.AdditiveNoise.from_tvb_nsig`).
"""

from .core.models import *  # noqa: F401,F403
from .core.models import __all__  # noqa: F401
