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
from .core.models import __all__ as _core_all
from .core.models import model_info as _model_info

__all__ = [*_core_all, "recommended_network"]


def recommended_network(connectome, model, **changes):
    """A :class:`~mne_nmm.Network` with a model's recommended coupling, global coupling and ``dt_ms``.

    Parameters
    ----------
    connectome : Connectome
        Structural connectivity.
    model : str | NeuralMass | type
        Registry name, model instance or model class.
    **changes
        Override any :class:`~mne_nmm.Network` argument (``global_coupling``,
        ``speed_m_per_s``, ``dt_ms``, ``coupling``).
    """
    from .core.models.base import NeuralMass
    from .network import Network

    info = _model_info(type(model) if isinstance(model, NeuralMass) else model)
    kw = dict(coupling=info.coupling(), global_coupling=info.global_coupling, dt_ms=info.dt_ms)
    kw.update(changes)
    return Network(connectome, **kw)
