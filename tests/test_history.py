"""The delay ring buffer and its blocked gather against a naive per-step gather ``hist[n - d]``."""

import jax.numpy as jnp
import numpy as np
import pytest

from mne_nmm.core import history


def _naive_sums(pres, weights, delays, n, n_feat):
    """S_i(t_n) = sum_j W[i, j] pre_j(t_{n - d_ij}), with pre before step 0 equal to pre at step 0."""
    N = weights.shape[0]
    out = np.zeros((n_feat, N))
    for i in range(N):
        for j in range(N):
            if weights[i, j] != 0 and delays[i, j] > 0:
                out[:, i] += weights[i, j] * pres[max(n - delays[i, j], 0)][:, j]
    return out


@pytest.mark.parametrize("block, tail", [(1, 0), (3, 2), (4, 1), (7, 5)])
def test_blocked_gather_equals_naive_gather_with_tail_blocks(block, tail):
    rng = np.random.default_rng(3)
    N, F = 6, 2
    w = rng.uniform(0.1, 1.0, (N, N)) * (rng.uniform(size=(N, N)) < 0.6)
    np.fill_diagonal(w, 0.0)
    d = rng.integers(block, 3 * block + 9, (N, N))          # every delay >= the block length
    conn = history.connection_slots(w != 0, d)
    assert conn.min_delay >= block and conn.ring >= conn.max_delay + 1
    assert conn.ring & (conn.ring - 1) == 0                  # a power of two: & (L - 1) is the modulo
    n_total = 4 * conn.ring + tail                           # wraps the ring several times, ends with a short block
    pres = rng.normal(size=(n_total + 1, F, N))              # pre(x_m), m = 0 .. n_total
    buf = history.initial_history(jnp.asarray(pres[0]), conn, block)
    ws = history.slot_weights(jnp.asarray(w), conn)
    n0 = 0
    while n0 < n_total:
        n = min(block, n_total - n0)
        got = np.asarray(history.delayed_sums(buf, jnp.int32(n0), ws, conn, F, n))      # (F, N, n + 1)
        for k in range(n + 1):
            np.testing.assert_allclose(got[:, :, k], _naive_sums(pres, w, d, n0 + k, F), rtol=1e-5, atol=1e-5)
        buf = history.write(buf, jnp.int32(n0), jnp.asarray(pres[n0 + 1:n0 + n + 1]), conn, block)
        # the mirror zone always equals the first B + 1 columns
        np.testing.assert_array_equal(np.asarray(buf[:, :block + 1]), np.asarray(buf[:, conn.ring:]))
        n0 += n


def test_slots_weights_are_gathered_from_the_dense_matrix():
    w = np.array([[0.0, 2.0, 0.0], [1.0, 0.0, 3.0], [0.0, 0.0, 0.0]])
    d = np.array([[0, 4, 1], [2, 0, 0], [1, 1, 0]])
    conn = history.connection_slots(w != 0, d)
    # region 1's connection from 2 has zero delay: instantaneous, not a slot
    assert conn.instant[1, 2] and conn.n_slots == 1
    ws = np.asarray(history.slot_weights(jnp.asarray(w), conn))
    np.testing.assert_array_equal(ws, [[2.0], [1.0], [0.0]])
    np.testing.assert_array_equal(np.asarray(history.instant_weights(jnp.asarray(w), conn)),
                                  [[0, 0, 0], [0, 0, 3.0], [0, 0, 0]])
    # padding slots have delay 1 and weight 0; a weight outside the structure is masked everywhere
    assert conn.delay[2, 0] == 1 and not conn.valid[2, 0]
    w2 = w.copy()
    w2[2, 0] = 5.0
    np.testing.assert_array_equal(np.asarray(history.masked_weights(jnp.asarray(w2), conn)), w)


def test_connections_compare_by_content():
    w = np.ones((3, 3)) - np.eye(3)
    a = history.connection_slots(w != 0, np.full((3, 3), 5))
    b = history.connection_slots(w != 0, np.full((3, 3), 5))
    c = history.connection_slots(w != 0, np.full((3, 3), 6))
    assert a == b and hash(a) == hash(b) and a != c


@pytest.mark.parametrize("N, F, block", [(6, 1, 2), (5, 2, 3)])
def test_gather_gradient_equals_naive_loops(N, F, block):
    """The custom VJP of the blocked gather (one scatter-add for the buffer, re-read windows for the weights)
    equals the derivative written out as loops over slots, features, targets and window positions."""
    import jax

    rng = np.random.default_rng(N)
    w = rng.uniform(0.1, 1.0, (N, N)) * (rng.uniform(size=(N, N)) < 0.6)
    np.fill_diagonal(w, 0.0)
    d = rng.integers(block, 3 * block + 9, (N, N))
    conn = history.connection_slots(w != 0, d)
    rows, dl = history._slot_tables(conn, F)
    with jax.enable_x64(True):
        buf = jnp.asarray(rng.normal(size=(F * N, conn.ring + block + 1)))
        ws = history.slot_weights(jnp.asarray(w), conn)
        for n0 in (0, conn.ring - 1, 3 * conn.ring + 2):            # includes windows that reach the mirror zone
            for n in range(1, block + 1):
                g = rng.normal(size=(F, N, n + 1))
                gb, gw = jax.grad(lambda b, s: jnp.sum(history.delayed_sums(b, jnp.int32(n0), s, conn, F, n) * g),
                                  argnums=(0, 1))(buf, ws)
                ref_b = np.zeros(buf.shape)
                ref_w = np.zeros(ws.shape)
                B, W = np.asarray(buf), np.asarray(ws)
                for m in range(conn.n_slots):
                    for f in range(F):
                        for j in range(N):
                            r, s = rows[m, f * N + j], (n0 - dl[m, f * N + j]) % conn.ring
                            for k in range(n + 1):
                                ref_b[r, s + k] += W[j, m] * g[f, j, k]
                                ref_w[j, m] += B[r, s + k] * g[f, j, k]
                np.testing.assert_allclose(np.asarray(gb), ref_b, rtol=1e-12, atol=1e-12)
                np.testing.assert_allclose(np.asarray(gw), ref_w, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("block, tail", [(1, 0), (3, 2), (4, 1)])
def test_history_gradient_through_writes_equals_naive_adjoint(block, tail):
    """d/d pre(x_m) of sum_n <g_n, S(t_n)> through initial_history, the blocked writes (custom VJP, mirror zone
    included) and the gathers equals the hand-written adjoint sum_{i, n: max(n - d_ij, 0) = m} W_ij g_n[i]."""
    import jax

    rng = np.random.default_rng(5)
    N, F = 5, 2
    w = rng.uniform(0.1, 1.0, (N, N)) * (rng.uniform(size=(N, N)) < 0.7)
    np.fill_diagonal(w, 0.0)
    d = rng.integers(block, 2 * block + 6, (N, N))
    conn = history.connection_slots(w != 0, d)
    n_total = 3 * conn.ring + tail
    g = rng.normal(size=(n_total + 1, F, N))
    with jax.enable_x64(True):
        pres = jnp.asarray(rng.normal(size=(n_total + 1, F, N)))
        ws = history.slot_weights(jnp.asarray(w), conn)

        def loss(pres):
            buf = history.initial_history(pres[0], conn, block)
            total, n0 = 0.0, 0
            while n0 < n_total:
                n = min(block, n_total - n0)
                S = history.delayed_sums(buf, jnp.int32(n0), ws, conn, F, n)           # (F, N, n + 1): t_n0 .. t_n0+n
                total = total + jnp.sum(S[:, :, :n] * jnp.moveaxis(jnp.asarray(g[n0:n0 + n]), 0, -1))
                buf = history.write(buf, jnp.int32(n0), pres[n0 + 1:n0 + n + 1], conn, block)
                n0 += n
            return total

        got = np.asarray(jax.grad(loss)(pres))
    ref = np.zeros((n_total + 1, F, N))
    for n in range(n_total):
        for i in range(N):
            for j in range(N):
                if w[i, j] != 0:
                    ref[max(n - d[i, j], 0), :, j] += w[i, j] * g[n, :, i]
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)
