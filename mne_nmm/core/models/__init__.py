"""Neural mass models (frozen pytrees of parameters + pure ``dfun``) and their registry.

See :func:`list_models` for the catalogue and :mod:`.base` for the model contract.
"""

from .. import coupling as _cpl
from .base import NeuralMass, neural_mass
from .coombes_byrne import CoombesByrne
from .damped_oscillator import DampedOscillator
from .epileptor import Epileptor
from .fitzhugh_nagumo import FitzHughNagumo
from .freeman import Freeman
from .generic_2d import Generic2dOscillator
from .groups import RegionGroups, region_groups
from .hopf import Hopf
from .ing import ING
from .jansen_rit import JansenRit
from .kuramoto import Kuramoto
from .larter_breakspear import LarterBreakspear, LarterBreakspearCoupling
from .linear import Linear
from .lorenz import Lorenz
from .montbrio import MontbrioPazoRoxin
from .phase_oscillator import PhaseOscillator
from .registry import (ModelInfo, ModelTable, get_model, list_models, model_info, recommended_coupling,
                       register_model)
from .threshold_linear import ThresholdLinear
from .van_der_pol import VanDerPol
from .wilson_cowan import WilsonCowan
from .wong_wang import ReducedWongWangExcInh, WongWang
from .zetterberg_jansen import ZetterbergJansen

# -- the built-in catalogue (phenomenological first, then physiological) ------------------
register_model(PhaseOscillator, coupling=_cpl.Kuramoto, global_coupling=0.02, ladder=1)
register_model(DampedOscillator, coupling=_cpl.Difference, global_coupling=0.001, ladder=2)
register_model(Hopf, coupling=_cpl.Difference, global_coupling=0.02, tvb_name="SupHopf", ladder=3,
               tvb_notes="defaults a = 0.1 /ms, omega = 2 pi 10 Hz (TVB: a = -0.5, omega = 1 rad/ms, a silent focus)")
register_model(Kuramoto, coupling=_cpl.Kuramoto, global_coupling=1.0, tvb_name="Kuramoto",
               tvb_notes="no local-coupling term; derived read-out 'sin'")
register_model(VanDerPol, coupling=_cpl.Difference, global_coupling=0.01)
register_model(FitzHughNagumo, coupling=_cpl.Difference, global_coupling=0.1)
register_model(Generic2dOscillator, coupling=_cpl.Linear, global_coupling=0.1, tvb_name="Generic2dOscillator",
               tvb_notes="no local-coupling term")
register_model(ThresholdLinear, coupling=_cpl.Linear, global_coupling=0.1)
register_model(Linear, coupling=_cpl.Linear, global_coupling=1.0, tvb_name="Linear",
               tvb_notes="no local-coupling term")
register_model(Lorenz, coupling=_cpl.Difference, global_coupling=0.5, dt_ms=0.005)
register_model(WilsonCowan, coupling=_cpl.Linear, global_coupling=0.1, tvb_name="WilsonCowan", ladder=4,
               tvb_notes="coupled variable is E only (TVB couples E and I but uses only the E input); "
                         "no local-coupling term")
register_model(JansenRit, coupling=_cpl.SigmoidalJansenRit, global_coupling=5.0, tvb_name="JansenRit", ladder=5,
               tvb_notes="no local-coupling term")
register_model(ZetterbergJansen, coupling=_cpl.Linear, global_coupling=0.1, tvb_name="ZetterbergJansen",
               tvb_notes="v5 equation uses ki^2 (TVB: ke^2, a typo); no local-coupling term")
register_model(ING, coupling=_cpl.Linear, global_coupling=1.0, ladder=6)
register_model(WongWang, coupling=_cpl.Linear, global_coupling=0.05,
               tvb_notes="not in TVB (TVB's ReducedWongWang is the one-population reduction)")
register_model(ReducedWongWangExcInh, coupling=_cpl.Linear, global_coupling=0.5, tvb_name="ReducedWongWangExcInh",
               tvb_notes="no local-coupling term; with_fic() sets J_i per region in closed form")
register_model(MontbrioPazoRoxin, coupling=_cpl.Linear, global_coupling=0.5, tvb_name="MontbrioPazoRoxin", dt_ms=0.01,
               tvb_notes="TVB's unused Gamma parameter is omitted")
register_model(CoombesByrne, coupling=_cpl.Linear, global_coupling=0.1, tvb_name="CoombesByrne", dt_ms=0.01,
               tvb_notes="coupled variable r only (TVB lists all four but uses the r input only)")
register_model(LarterBreakspear, coupling=LarterBreakspearCoupling, global_coupling=1.0, tvb_name="LarterBreakspear",
               tvb_notes="no local-coupling term; LarterBreakspearCoupling = TVB HyperbolicTangent(a=0.5, sigma=d_V)")
register_model(Epileptor, coupling=_cpl.Difference, global_coupling=1.0, tvb_name="Epileptor", dt_ms=0.05,
               tvb_notes="parameter s is used (TVB hard-codes 4); no local-coupling term")
register_model(Freeman, coupling=_cpl.Linear, global_coupling=0.1)

MODELS = {info.name: info.cls for info in list_models()}

__all__ = ["NeuralMass", "neural_mass", "ModelInfo", "ModelTable", "list_models", "get_model", "model_info",
           "register_model", "recommended_coupling", "MODELS", "LarterBreakspearCoupling", "RegionGroups",
           "region_groups",
           *[cls.__name__ for cls in MODELS.values()]]
