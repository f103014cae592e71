"""Fixed-step integrators (pure functions).

Each integrator advances ``x`` by one step of ``dt``::

    x_next = integrator.step(x, f, dt, noise_term=None)

``f(x, c)`` is the drift (coupling and stimulus included) at the stage whose time
is ``t_n + c dt`` (``c`` in ``[0, 1]``; the engine interpolates delayed inputs
linearly between ``t_n`` and ``t_{n+1}``, so Heun and RK4 keep their order for
delay equations). For stochastic schemes ``noise_term(x)`` returns ``g(x) dW`` with
the Wiener increment ``dW = sqrt(dt) N(0, 1)`` of the step, scattered into the
shape of the state.

Orders (tested against ``expm(A t) x0``): Euler 1, Heun 2, RK4 4.
Stochastic Heun is the predictor-corrector scheme used by TVB (strong order 1 for
additive noise, Stratonovich for multiplicative noise); Euler-Maruyama is Ito.

Two choices, explicit and tested (``tests/test_integrator_options.py``):

``coupling="stages"`` (default) | ``"once"``
    With ``"stages"`` every stage evaluates the network input at its own time: the delayed
    input interpolated within the step and the local part of the coupling (e.g. the ``- x_i``
    of difference coupling) at the stage's state. This keeps Heun and RK4 at their order on
    delay equations. ``"once"`` is TVB's rule: the coupling is computed once per step, at its
    start, and reused by every stage (first order in the coupling; use it to reproduce TVB
    trajectories).
``clamp="step"`` (default) | ``"stages"``
    Bounded variables (``model.state_bounds``) are clipped after each step (``"step"``), or also
    at every intermediate stage before the drift is evaluated there (``"stages"``: TVB clamps
    its Heun predictor).
"""

from __future__ import annotations

_COUPLING = ("stages", "once")
_CLAMP = ("step", "stages")


class Integrator:
    stochastic = False
    n_stages = 1
    name = "integrator"

    def __init__(self, *, coupling="stages", clamp="step"):
        if coupling not in _COUPLING:
            raise ValueError(f"coupling must be one of {_COUPLING} (when the network input is evaluated), "
                             f"got {coupling!r}.")
        if clamp not in _CLAMP:
            raise ValueError(f"clamp must be one of {_CLAMP} (where bounded variables are clipped), got {clamp!r}.")
        self.coupling = coupling
        self.clamp = clamp

    def __repr__(self):
        opts = [f"{k}={v!r}" for k, v, d in (("coupling", self.coupling, "stages"), ("clamp", self.clamp, "step"))
                if v != d]
        return f"{type(self).__name__}({', '.join(opts)})"

    def __eq__(self, other):
        return type(self) is type(other) and (self.coupling, self.clamp) == (other.coupling, other.clamp)

    def __hash__(self):
        return hash((type(self), self.coupling, self.clamp))


class Euler(Integrator):
    """Forward Euler: ``x + dt f(x)``."""

    name = "euler"

    def step(self, x, f, dt, noise_term=None):
        return x + dt * f(x, 0.0)


class Heun(Integrator):
    """Heun (explicit trapezoid), second order."""

    name = "heun"
    n_stages = 2

    def step(self, x, f, dt, noise_term=None):
        k1 = f(x, 0.0)
        k2 = f(x + dt * k1, 1.0)
        return x + 0.5 * dt * (k1 + k2)


class RK4(Integrator):
    """Classical fourth-order Runge-Kutta."""

    name = "rk4"
    n_stages = 4

    def step(self, x, f, dt, noise_term=None):
        k1 = f(x, 0.0)
        k2 = f(x + 0.5 * dt * k1, 0.5)
        k3 = f(x + 0.5 * dt * k2, 0.5)
        k4 = f(x + dt * k3, 1.0)
        return x + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


class EulerMaruyama(Integrator):
    """Euler-Maruyama: ``x + dt f(x) + g(x) dW``."""

    name = "euler_maruyama"
    stochastic = True

    def step(self, x, f, dt, noise_term=None):
        y = x + dt * f(x, 0.0)
        return y if noise_term is None else y + noise_term(x)


class StochasticHeun(Integrator):
    """Stochastic Heun (TVB's ``HeunStochastic``).

    One step is::

        x~      = x + dt f(x) + g(x) dW
        x_next  = x + dt/2 (f(x) + f(x~)) + 1/2 (g(x) + g(x~)) dW
    """

    name = "stochastic_heun"
    stochastic = True
    n_stages = 2

    def step(self, x, f, dt, noise_term=None):
        k1 = f(x, 0.0)
        if noise_term is None:
            k2 = f(x + dt * k1, 1.0)
            return x + 0.5 * dt * (k1 + k2)
        n1 = noise_term(x)
        xp = x + dt * k1 + n1
        k2 = f(xp, 1.0)
        n2 = noise_term(xp)
        return x + 0.5 * dt * (k1 + k2) + 0.5 * (n1 + n2)


INTEGRATORS = {c.name: c for c in (Euler, Heun, RK4, EulerMaruyama, StochasticHeun)}


def get_integrator(integrator):
    """Return an integrator instance from an instance or a name."""
    if isinstance(integrator, Integrator):
        return integrator
    if isinstance(integrator, type) and issubclass(integrator, Integrator):
        return integrator()
    if isinstance(integrator, str) and integrator in INTEGRATORS:
        return INTEGRATORS[integrator]()
    raise ValueError(f"integrator must be one of {sorted(INTEGRATORS)} or an Integrator instance, got {integrator!r}.")
