"""Linear systems view of a network: controllability, observability, minimum energy and optimal control.

Around a fixed point ``x*`` a network behaves like ``dx/dt = A x + B u``,
``y = C x`` with ``A`` the delay-free Jacobian, ``B`` the columns of the driven
variable in the stimulated regions and ``C`` the read-out of the sensors (a lead
field times the EEG source variable, or chosen regions) (:func:`linearize`).

* Controllability Gramian ``W_T = int_0^T e^{A t} B B^T e^{A^T t} dt``: infinite
  horizon from the Lyapunov equation ``A W + W A^T + B B^T = 0`` (stable ``A``),
  finite horizon by Van Loan's (1978) block exponential (Kailath 1980, ch. 2).
* Kalman rank ``rank [B, AB, ..., A^(n-1) B]`` (Kalman 1960).
* Minimum energy to steer ``x0 -> xf`` in time ``T``:
  ``E = d^T W_T^{-1} d`` with ``d = xf - e^{AT} x0``, attained by
  ``u*(t) = B^T e^{A^T (T - t)} W_T^{-1} d`` (Kailath 1980; Lewis, Vrabie & Syrmos 2012).
* Average controllability of region ``i``: ``trace`` of the Gramian with
  ``B = e_i``, and modal controllability ``sum_j (1 - lambda_j^2) v_ij^2``, on the
  structural system ``A = W / (1 + sigma_max(W))`` in discrete time
  (Pasqualetti, Zampieri & Bullo 2014; Gu et al. 2015).
* Optimal control through a nonlinear model: the input ``u(t)`` (piecewise constant)
  minimising ``int |u|^2 dt + w |x(T) - x_target|^2`` by L-BFGS with gradients
  through a differentiable RK4 simulation (:func:`optimal_control`).

References
----------
Kalman R.E. (1960) On the general theory of control systems. Proc 1st IFAC Congress.
Kailath T. (1980) Linear Systems. Prentice-Hall.
Van Loan C.F. (1978) Computing integrals involving the matrix exponential. IEEE TAC 23:395-404.
Pasqualetti F., Zampieri S., Bullo F. (2014) Controllability metrics, limitations and algorithms
for complex networks. IEEE Trans Control Netw Syst 1:40-52.
Gu S. et al. (2015) Controllability of structural brain networks. Nat Commun 6:8414.
Lewis F.L., Vrabie D., Syrmos V.L. (2012) Optimal Control, 3rd ed. Wiley, ch. 3 (minimum energy).
"""

from __future__ import annotations

import dataclasses
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg as sla

from .._validate import check_array, check_int, check_positive
from . import _system as S
from .equilibria import newton, resolve_state


@dataclasses.dataclass(frozen=True, repr=False)
class LinearSystem:
    """``dx/dt = A x + B u``, ``y = C x`` around ``state`` (from :func:`linearize`).

    Attributes
    ----------
    A : ndarray, shape (n, n)
        Delay-free Jacobian (1/ms), variable-major order (``state.reshape(-1)``).
    B : ndarray, shape (n, n_inputs)
    C : ndarray, shape (n_outputs, n)
    state : ndarray, shape (n_state_variables, n_regions)
    state_labels : tuple of str
        ``"variable[region]"`` for each of the ``n`` components.
    """

    A: np.ndarray
    B: np.ndarray
    C: np.ndarray
    state: np.ndarray
    state_labels: tuple

    def __repr__(self):
        return f"<LinearSystem | n={self.A.shape[0]}, {self.B.shape[1]} inputs, {self.C.shape[0]} outputs>"


def linearize(model, *, network=None, coupling=None, global_coupling=None, state=None, inputs=None,
              input_variable=None, outputs=None, output_variable=None):
    """Linearise a node or a delay-free network around a fixed point.

    Parameters
    ----------
    model : NeuralMass
    network, coupling, global_coupling
        As in :func:`~mne_nmm.dynamics.find_equilibria`.
    state : array | None
        Fixed point (or a guess, polished by Newton); default: a stable equilibrium.
    inputs : sequence of int | array, shape (n_regions, n_inputs) | None
        Stimulated regions (one input each) or a region-to-input matrix; default all regions.
    input_variable : str | None
        State variable whose derivative the input drives (default ``model.stimulus_variable``).
    outputs : sequence of int | array, shape (n_outputs, n_regions) | None
        Observed regions or a lead field (``y = gain @ source``); default all regions.
    output_variable : str | None
        State or derived variable observed (default ``model.eeg_source``); derived
        variables are linearised with JAX.

    Returns
    -------
    LinearSystem
    """
    system = S.make_system(model, network=network, coupling=coupling, global_coupling=global_coupling)
    nv, nr = system.shape
    x0 = resolve_state(system, state).reshape(-1)
    X, r = newton(system, x0[None], system.p0(), n_iter=60)
    if r[0] > 1e-8:
        raise RuntimeError(f"state is not close to a fixed point (max |f| = {r[0]:.3g} after Newton).")
    x = X[0]
    A = S.jac_x(system, x, system.p0())
    sv = model.state_variables
    ivar = input_variable or model.stimulus_variable or sv[0]
    if ivar not in sv:
        raise ValueError(f"input_variable must be one of the state variables {sv}, got {ivar!r}.")
    Bin = _region_matrix(inputs, nr, "inputs", transpose=False)          # (n_regions, n_inputs)
    B = np.zeros((nv * nr, Bin.shape[1]))
    B[sv.index(ivar) * nr:(sv.index(ivar) + 1) * nr] = Bin
    ovar = output_variable or model.eeg_source or sv[0]
    if ovar not in model.variables:
        raise ValueError(f"output_variable must be one of {model.variables}, got {ovar!r}.")
    Cout = _region_matrix(outputs, nr, "outputs", transpose=True)       # (n_outputs, n_regions)
    with S.x64():
        dobs = np.asarray(jax.jacfwd(lambda z: model.observe(z.reshape(nv, nr), [ovar])[0])(jnp.asarray(x)))
    C = Cout @ dobs
    labels = tuple(f"{v}[{j}]" for v in sv for j in range(nr))
    return LinearSystem(A=A, B=B, C=C, state=x.reshape(nv, nr), state_labels=labels)


def _region_matrix(sel, nr, name, transpose):
    if sel is None:
        return np.eye(nr)
    arr = np.asarray(sel)
    if arr.ndim == 1 and arr.dtype.kind in "iu":
        if np.any(arr < 0) or np.any(arr >= nr):
            raise ValueError(f"{name} must be region indices in [0, {nr}), got {sel!r}.")
        M = np.zeros((nr, len(arr)))
        M[arr, np.arange(len(arr))] = 1.0
        return M.T if transpose else M
    M = check_array(sel, name, ndim=2)
    want = 1 if transpose else 0
    if M.shape[want] != nr:
        shape = "(n_outputs, n_regions)" if transpose else "(n_regions, n_inputs)"
        raise ValueError(f"{name} must be region indices or a {shape} matrix with n_regions={nr}, got shape {M.shape}.")
    return M


def _check_AB(A, B, names=("A", "B")):
    A = check_array(A, names[0], ndim=2)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"{names[0]} must be square (n, n), got shape {A.shape}.")
    B = check_array(B, names[1])
    if B.ndim == 1:
        B = B[:, None]
    if B.ndim != 2 or B.shape[0] != A.shape[0]:
        raise ValueError(f"{names[1]} must have shape ({A.shape[0]}, n_inputs), got shape {B.shape}.")
    return A, B


def controllability_gramian(A, B, *, horizon_ms=None, discrete=False):
    """Controllability Gramian of ``dx/dt = A x + B u`` (or ``x[k+1] = A x[k] + B u[k]``).

    Parameters
    ----------
    A : array, shape (n, n)
    B : array, shape (n, m)
    horizon_ms : float | None
        Finite horizon ``T`` (ms; steps when ``discrete``); ``None``: infinite (needs a stable ``A``).
    discrete : bool
        Discrete-time system.

    Returns
    -------
    W : ndarray, shape (n, n)
    """
    A, B = _check_AB(A, B)
    Q = B @ B.T
    if discrete:
        if horizon_ms is None:
            if np.max(np.abs(np.linalg.eigvals(A))) >= 1:
                raise ValueError("A must be Schur stable (all |eigenvalues| < 1) for the infinite-horizon Gramian.")
            return sla.solve_discrete_lyapunov(A, Q)
        K = check_int(int(horizon_ms), "horizon_ms", minimum=1)
        W = np.zeros_like(Q)
        Ak = np.eye(A.shape[0])
        for _ in range(K):
            W += Ak @ Q @ Ak.T
            Ak = A @ Ak
        return W
    if horizon_ms is None:
        if np.max(np.linalg.eigvals(A).real) >= 0:
            raise ValueError("A must be Hurwitz (all eigenvalues with negative real part) for the infinite-horizon "
                             "Gramian; pass horizon_ms= for a finite horizon.")
        W = sla.solve_continuous_lyapunov(A, -Q)
        return 0.5 * (W + W.T)
    T = check_positive(horizon_ms, "horizon_ms")
    n = A.shape[0]
    M = np.block([[-A, Q], [np.zeros((n, n)), A.T]]) * T
    E = sla.expm(M)
    W = E[n:, n:].T @ E[:n, n:]  # Van Loan (1978)
    return 0.5 * (W + W.T)


def observability_gramian(A, C, *, horizon_ms=None, discrete=False):
    """Observability Gramian ``int e^{A^T t} C^T C e^{A t} dt`` (dual of :func:`controllability_gramian`)."""
    A = check_array(A, "A", ndim=2)
    C = check_array(C, "C")
    if C.ndim == 1:
        C = C[None]
    if C.ndim != 2 or C.shape[1] != A.shape[0]:
        raise ValueError(f"C must have shape (n_outputs, {A.shape[0]}), got shape {C.shape}.")
    return controllability_gramian(A.T, C.T, horizon_ms=horizon_ms, discrete=discrete)


def controllability_rank(A, B, *, tol=None):
    """Rank of the Kalman matrix ``[B, AB, ..., A^(n-1) B]`` (columns normalised, SVD rank)."""
    A, B = _check_AB(A, B)
    n = A.shape[0]
    blocks, Ak = [], B.copy()
    for _ in range(n):
        nrm = np.linalg.norm(Ak, axis=0, keepdims=True)
        blocks.append(Ak / np.where(nrm > 0, nrm, 1.0))
        Ak = A @ Ak
    K = np.hstack(blocks)
    s = np.linalg.svd(K, compute_uv=False)
    tol = s.max() * max(K.shape) * np.finfo(float).eps * 1e3 if tol is None else tol
    return int(np.sum(s > tol))


def observability_rank(A, C, *, tol=None):
    """Rank of the observability matrix ``[C; CA; ...; C A^(n-1)]``."""
    A = check_array(A, "A", ndim=2)
    C = np.atleast_2d(check_array(C, "C"))
    return controllability_rank(A.T, C.T, tol=tol)


@dataclasses.dataclass(frozen=True, repr=False)
class MinimumEnergyControl:
    """Minimum-energy input of a linear system (from :func:`minimum_energy_control`).

    Attributes
    ----------
    energy : float
        ``int_0^T |u(t)|^2 dt`` of the optimal input (``d^T W_T^{-1} d``).
    times_ms : ndarray, shape (n_times,)
    inputs : ndarray, shape (n_times, n_inputs)
        ``u*(t)``.
    states : ndarray, shape (n_times, n)
        The state trajectory under ``u*``.
    gramian : ndarray, shape (n, n)
    """

    energy: float
    times_ms: np.ndarray
    inputs: np.ndarray
    states: np.ndarray
    gramian: np.ndarray

    def __repr__(self):
        return f"<MinimumEnergyControl | energy {self.energy:.4g}, T={self.times_ms[-1]:g} ms>"


def minimum_energy_control(A, B, x0, xf, *, horizon_ms, n_times=201):
    """Minimum-energy input steering ``dx/dt = A x + B u`` from ``x0`` to ``xf`` in ``horizon_ms``.

    Parameters
    ----------
    A : array, shape (n, n)
    B : array, shape (n, m)
    x0, xf : array, shape (n,)
    horizon_ms : float
    n_times : int
        Number of time samples of the returned input and trajectory.

    Returns
    -------
    MinimumEnergyControl

    Raises
    ------
    ValueError
        When the Gramian is numerically singular (condition number > 1e12): the target is then
        not reachable with these inputs in this horizon to working precision, and ``W^-1 d``
        would be rounding noise (energies of any sign and size). A condition number above 1e8
        gives a warning (the energy has lost about half its digits).
    """
    A, B = _check_AB(A, B)
    n = A.shape[0]
    x0 = check_array(x0, "x0", shape=(n,))
    xf = check_array(xf, "xf", shape=(n,))
    T = check_positive(horizon_ms, "horizon_ms")
    n_times = check_int(n_times, "n_times", minimum=2)
    W = controllability_gramian(A, B, horizon_ms=T)
    cond = float(np.linalg.cond(W))
    if not np.isfinite(cond) or cond > 1e12:
        raise ValueError(f"the controllability Gramian of these {B.shape[1]} input(s) over horizon_ms={T:g} is "
                         f"numerically singular (condition number {cond:.3g}; Kalman rank "
                         f"{controllability_rank(A, B)} of {n}): the minimum energy is not computable to working "
                         "precision. Use more or other input sites, or a longer horizon.")
    if cond > 1e8:
        warnings.warn(f"the controllability Gramian is ill-conditioned (condition number {cond:.3g}): the minimum "
                      "energy has lost about half its digits.", RuntimeWarning, stacklevel=2)
    d = xf - sla.expm(A * T) @ x0
    lam = np.linalg.solve(W, d)
    energy = float(d @ lam)
    t = np.linspace(0.0, T, n_times)
    # u = B^T mu with mu' = -A^T mu, mu(T) = lam; [x; mu]' = [[A, B B^T], [0, -A^T]] [x; mu] is
    # propagated exactly with one matrix exponential per time step
    M = np.block([[A, B @ B.T], [np.zeros((n, n)), -A.T]])
    E = sla.expm(M * (t[1] - t[0]))
    z = np.concatenate([x0, sla.expm(A.T * T) @ lam])
    Z = [z]
    for _ in range(n_times - 1):
        z = E @ z
        Z.append(z)
    Z = np.stack(Z)
    X, U = Z[:, :n], Z[:, n:] @ B
    return MinimumEnergyControl(energy=energy, times_ms=t, inputs=U, states=X, gramian=W)


def structural_system(weights, *, c=1.0, discrete=True):
    """The normalised linear network ``A`` of Gu et al. (2015): ``W / (c + sigma_max(W))`` (``- I`` if continuous)."""
    W = check_array(weights, "weights", ndim=2)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"weights must be square (n_regions, n_regions), got shape {W.shape}.")
    A = W / (float(c) + np.linalg.svd(W, compute_uv=False)[0])
    return A if discrete else A - np.eye(len(A))


def average_controllability(A, *, discrete=True):
    """Average controllability of each node: ``trace`` of the infinite-horizon Gramian with ``B = e_i``.

    ``trace W_i = sum_k |A^k e_i|^2`` is the ``i``-th diagonal entry of the solution ``P`` of
    ``A^T P A - P + I = 0`` (discrete) or ``A^T P + P A + I = 0`` (continuous); high values
    mark regions that move the network into many easily reachable states (Gu et al. 2015).
    """
    A = check_array(A, "A", ndim=2)
    n = A.shape[0]
    if discrete:
        if np.max(np.abs(np.linalg.eigvals(A))) >= 1:
            raise ValueError("A must be Schur stable; normalise it with structural_system(weights).")
        P = sla.solve_discrete_lyapunov(A.T, np.eye(n))
    else:
        if np.max(np.linalg.eigvals(A).real) >= 0:
            raise ValueError("A must be Hurwitz; normalise it with structural_system(weights, discrete=False).")
        P = sla.solve_continuous_lyapunov(A.T, -np.eye(n))
    return np.real(np.diag(P)).copy()


def modal_controllability(A):
    """Modal controllability ``phi_i = sum_j (1 - |lambda_j|^2) |v_ij|^2`` (discrete-time ``A``; Pasqualetti 2014).

    The measure is defined for a symmetric ``A`` (orthonormal eigenvectors; Gu et al. 2015 symmetrise
    the connectome first). A non-symmetric ``A`` (a directed connectome) gives a warning: its
    eigenvectors are not orthogonal and ``phi`` is then only a heuristic; pass ``(A + A.T) / 2``
    to follow the published definition.
    """
    A = check_array(A, "A", ndim=2)
    if np.allclose(A, A.T):
        lam, V = np.linalg.eigh(A)
    else:
        warnings.warn("modal_controllability: A is not symmetric (a directed network?); its eigenvectors are not "
                      "orthogonal, so the measure is only a heuristic. Pass (A + A.T) / 2 for the definition of "
                      "Gu et al. (2015).", RuntimeWarning, stacklevel=2)
        lam, V = np.linalg.eig(A)
    return np.real(np.sum((1.0 - np.abs(lam) ** 2)[None, :] * np.abs(V) ** 2, axis=1))


# -- optimal control through the nonlinear model ------------------------------------------------------

@dataclasses.dataclass(frozen=True, repr=False)
class OptimalControl:
    """Result of :func:`optimal_control`.

    Attributes
    ----------
    times_ms : ndarray, shape (n_steps + 1,)
    inputs : ndarray, shape (n_knots, n_inputs)
        Piecewise-constant input on ``n_knots`` equal intervals.
    states : ndarray, shape (n_steps + 1, n_state_variables, n_regions)
    energy : float
        ``int |u|^2 dt``.
    terminal_error : float
        ``|x(T) - x_target|`` (Euclidean, all components).
    cost : float
        ``energy + terminal_weight * terminal_error^2``.
    converged : bool
    n_iterations : int
    """

    times_ms: np.ndarray
    inputs: np.ndarray
    states: np.ndarray
    energy: float
    terminal_error: float
    cost: float
    converged: bool
    n_iterations: int

    def __repr__(self):
        return (f"<OptimalControl | energy {self.energy:.4g}, terminal error {self.terminal_error:.3g}, "
                f"{self.n_iterations} iterations>")


def optimal_control(model, x0, target, *, duration_ms, dt_ms=0.1, n_knots=50, terminal_weight=1e4,
                    input_variable=None, inputs=None, network=None, coupling=None, global_coupling=None,
                    max_iter=300, u_init=None):
    """Minimum-energy stimulation driving a (nonlinear) model from ``x0`` to ``target``, by gradients.

    Minimises ``J(u) = int_0^T |u(t)|^2 dt + terminal_weight * |x(T) - target|^2`` over
    piecewise-constant inputs ``u`` (``n_knots`` values per input) added to the derivative
    of ``input_variable`` in the ``inputs`` regions, with exact gradients through an RK4
    simulation (:func:`jax.value_and_grad`, float64) and SciPy's L-BFGS-B. For a linear
    model and a large ``terminal_weight`` the optimum approaches the Gramian bound of
    :func:`minimum_energy_control`.

    Parameters
    ----------
    model : NeuralMass
    x0, target : array, shape (n_state_variables,) or (n_state_variables, n_regions)
        Start and target states (e.g. a point of a seizure-like cycle and the rest state).
    duration_ms, dt_ms : float
        Horizon ``T`` and RK4 step (ms).
    n_knots : int
        Number of piecewise-constant intervals of the input.
    terminal_weight : float
        Weight of the squared terminal error.
    input_variable : str | None
        Driven state variable (default ``model.stimulus_variable``).
    inputs : sequence of int | None
        Stimulated regions (default all).
    network, coupling, global_coupling
        As in :func:`~mne_nmm.dynamics.find_equilibria` (delay-free).
    max_iter : int
        L-BFGS iterations.
    u_init : array, shape (n_knots, n_inputs) | None
        Initial guess (default zeros).

    Returns
    -------
    OptimalControl
    """
    from scipy.optimize import minimize

    system = S.make_system(model, network=network, coupling=coupling, global_coupling=global_coupling)
    nv, nr = system.shape
    T = check_positive(duration_ms, "duration_ms")
    dt = check_positive(dt_ms, "dt_ms")
    n_knots = check_int(n_knots, "n_knots", minimum=1)
    terminal_weight = check_positive(terminal_weight, "terminal_weight")
    n_steps = int(round(T / dt))
    if n_steps % n_knots:
        n_steps = (n_steps // n_knots + 1) * n_knots
    dt = T / n_steps
    per = n_steps // n_knots
    sv = model.state_variables
    ivar = input_variable or model.stimulus_variable or sv[0]
    if ivar not in sv:
        raise ValueError(f"input_variable must be one of the state variables {sv}, got {ivar!r}.")
    Bin = _region_matrix(inputs, nr, "inputs", transpose=False)
    m_in = Bin.shape[1]
    B = np.zeros((nv * nr, m_in))
    B[sv.index(ivar) * nr:(sv.index(ivar) + 1) * nr] = Bin
    xa = resolve_state(system, x0, what="x0").reshape(-1)
    xb = resolve_state(system, target, what="target").reshape(-1)
    fn, (mdl, arrays) = S.traced(system)
    p = system.p0()

    with S.x64():
        mdl64, arr64 = S._to64(mdl), S._to64(arrays)
        Bj, xaj, xbj = jnp.asarray(B), jnp.asarray(xa), jnp.asarray(xb)

        def traj(U):
            Us = jnp.repeat(U, per, axis=0)

            def f(x, u):
                return fn(x, p, mdl64, arr64) + Bj @ u

            def step(x, u):
                k1 = f(x, u)
                k2 = f(x + 0.5 * dt * k1, u)
                k3 = f(x + 0.5 * dt * k2, u)
                k4 = f(x + dt * k3, u)
                xn = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
                return xn, xn

            _, xs = jax.lax.scan(step, xaj, Us)
            return jnp.concatenate([xaj[None], xs])

        def cost(U):
            xs = traj(U)
            energy = jnp.sum(U ** 2) * per * dt
            return energy + terminal_weight * jnp.sum((xs[-1] - xbj) ** 2)

        vg = jax.jit(jax.value_and_grad(lambda u: cost(u.reshape(n_knots, m_in))))
        traj_j = jax.jit(traj)

        def fun(u):
            v, g = vg(jnp.asarray(u))
            return float(v), np.asarray(g, dtype=float)

        u0 = np.zeros(n_knots * m_in) if u_init is None else check_array(u_init, "u_init",
                                                                           shape=(n_knots, m_in)).ravel()
        res = minimize(fun, u0, jac=True, method="L-BFGS-B", options={"maxiter": int(max_iter), "gtol": 1e-12,
                                                                         "ftol": 1e-15})
        U = res.x.reshape(n_knots, m_in)
        xs = np.asarray(traj_j(jnp.asarray(U)))
    energy = float(np.sum(U ** 2) * per * dt)
    err = float(np.linalg.norm(xs[-1] - xb))
    return OptimalControl(times_ms=np.arange(n_steps + 1) * dt, inputs=U, states=xs.reshape((-1, nv, nr)),
                          energy=energy, terminal_error=err, cost=energy + terminal_weight * err ** 2,
                          converged=bool(res.success), n_iterations=int(res.nit))

