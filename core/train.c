/*
 * train.c: logits and gradients of token models, in float64, for training.
 *
 * Symbols: V vocabulary entries, d channels, N states per channel, K
 * readout rows, M = d·N states in all, L the length of one sequence.
 * The model is embedding -> selective SSM block -> readout of the last step:
 *   u[t] = E[v_t], delta[t] = softplus(p + q·u[t]), B[t] = W_B u[t], C[t] = W_C u[t]
 *   h[t][j,n] = decay[t][j,n] h[t-1][j,n] + input[t][j,n],  h[-1] = 0
 *     decay[t][j,n] = exp(delta[t] A[j,n]), input[t][j,n] = delta[t] B[t]_n u[t]_j
 *   y_j = C[L-1]·h_j[L-1], logits = W y
 * Backward, with g[t] = dLoss/dh[t] walked from t = L-1 down to 0:
 *   g[L-1][j,n] = dy_j C[L-1]_n where dy = W^T dlogits
 *   dLoss/d decay[t] = g[t] ⊙ h[t-1], dLoss/d input[t] = g[t], g[t-1] = decay[t] ⊙ g[t]
 * and then the chain rule from decay and input to E, A, W_B, q and p.
 *
 * delta, B, C, decay and input depend on the token only, so the fast
 * kernels compute them once per vocabulary entry and sum the adjoints per
 * entry. The step loop is then one vectorized multiply-add per state.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Set-up and chain-rule helpers run once per batch or per token, not per
 * step, so they are kept out of line to keep the module small. */
#define COLD __attribute__((noinline, cold))

/* Offsets of each tensor in the packed parameter vector. */
typedef struct token_layout {
    int32_t V, d, N, K;
    size_t M;
    size_t embedding, A, W_B, W_C, q, p, W, count;
} token_layout;

/* Per-vocabulary-entry values, each row used only for tokens in the batch. */
typedef struct token_tables {
    uint8_t *used;   /* V */
    double *delta;   /* V */
    double *pre;     /* V, p + q·u before softplus */
    double *B, *C;   /* V×N */
    double *decay;   /* V×M */
    double *input;   /* V×M */
} token_tables;

static int layout_of(int32_t V, int32_t d, int32_t N, int32_t K, token_layout *layout) {
    if (V < 1 || V > SSM_MAX_VOCAB || d < 1 || d > SSM_MAX_D || N < 1 || N > SSM_MAX_N ||
        K < 1 || K > SSM_MAX_K) {
        return 0;
    }
    const uint64_t total = (uint64_t)V * d + 3 * (uint64_t)d * N + d + 1 + (uint64_t)K * d;
    if (total > INT32_MAX) {
        return 0;
    }
    layout->V = V;
    layout->d = d;
    layout->N = N;
    layout->K = K;
    layout->M = (size_t)d * N;
    layout->embedding = 0;
    layout->A = (size_t)V * d;
    layout->W_B = layout->A + layout->M;
    layout->W_C = layout->W_B + layout->M;
    layout->q = layout->W_C + layout->M;
    layout->p = layout->q + d;
    layout->W = layout->p + 1;
    layout->count = (size_t)total;
    return 1;
}

int64_t ssm_token_param_count(int32_t V, int32_t d, int32_t N, int32_t K) {
    token_layout layout;
    return layout_of(V, d, N, K, &layout) ? (int64_t)layout.count : -1;
}

/* The tensor index of the fault convention (0 A, 1 W_B, 2 W_C, 3 q, 4 p,
 * 5 W, 6 embedding) for a position in the packed vector. */
static int32_t tensor_of(const token_layout *layout, size_t position) {
    if (position < layout->A) return 6;
    if (position < layout->W_B) return 0;
    if (position < layout->W_C) return 1;
    if (position < layout->q) return 2;
    if (position < layout->p) return 3;
    if (position < layout->W) return 4;
    return 5;
}

/* Checks sizes, the batch's offsets and tokens, and that every parameter
 * is finite; returns the length of the longest sequence in *longest. */
COLD static ssm_status check_batch(const double *params, const token_layout *layout,
                              const int32_t *tokens, const int32_t *offsets, int32_t count,
                              int32_t *longest, ssm_fault *fault) {
    if (count < 1) {
        ssm_set_fault(fault, SSM_AT_SIZE, -1, 3);
        return SSM_ERR_SHAPE;
    }
    if (!params || !tokens || !offsets) {
        return SSM_ERR_ARGUMENT;
    }
    for (size_t e = 0; e < layout->count; e++) {
        if (!isfinite(params[e])) {
            ssm_set_fault(fault, SSM_AT_PARAMETER, (int32_t)e, tensor_of(layout, e));
            return SSM_ERR_NONFINITE;
        }
    }
    if (offsets[0] != 0) {
        ssm_set_fault(fault, SSM_AT_OPTION, 0, offsets[0]);
        return SSM_ERR_ARGUMENT;
    }

    *longest = 0;
    for (int32_t i = 0; i < count; i++) {
        const int32_t start = offsets[i], end = offsets[i + 1];
        if (end <= start) {
            /* An empty sequence has no last step to read out. */
            ssm_set_fault(fault, SSM_AT_OPTION, i + 1, end);
            return SSM_ERR_ARGUMENT;
        }
        if (end - start > *longest) {
            *longest = end - start;
        }
        for (int32_t t = start; t < end; t++) {
            if (tokens[t] < 0 || tokens[t] >= layout->V) {
                ssm_set_fault(fault, SSM_AT_INPUT, t, tokens[t]);
                return SSM_ERR_ARGUMENT;
            }
        }
    }
    return SSM_OK;
}

/* The checks every entry point starts with: sizes, then the batch. */
COLD static ssm_status begin_call(const double *params, int32_t V, int32_t d, int32_t N,
                                  int32_t K, const int32_t *tokens, const int32_t *offsets,
                                  int32_t count, token_layout *layout, int32_t *longest,
                                  ssm_fault *fault) {
    ssm_set_fault(fault, SSM_AT_NONE, -1, -1);
    if (!layout_of(V, d, N, K, layout)) {
        ssm_set_fault(fault, SSM_AT_SIZE, -1, -1);
        return SSM_ERR_SHAPE;
    }
    return check_batch(params, layout, tokens, offsets, count, longest, fault);
}

/* malloc for count doubles, or NULL when the size does not fit. */
static double *alloc_doubles(uint64_t count) {
    if (count == 0 || count > (uint64_t)SIZE_MAX / sizeof(double) / 2) {
        return NULL;
    }
    return (double *)calloc((size_t)count, sizeof(double));
}

/* delta, B and C of one input row u (d values); returns delta and writes
 * the pre-activation p + q·u to *pre. */
COLD static double project_token(const double *params, const token_layout *layout,
                            const double *u, double *pre, double *B, double *C) {
    const int32_t d = layout->d, N = layout->N;
    double x = params[layout->p];
    for (int32_t j = 0; j < d; j++) {
        x += params[layout->q + j] * u[j];
    }
    for (int32_t n = 0; n < N; n++) {
        const double *wb = params + layout->W_B + (size_t)n * d;
        const double *wc = params + layout->W_C + (size_t)n * d;
        double b = 0.0, c = 0.0;
        for (int32_t j = 0; j < d; j++) {
            b += wb[j] * u[j];
            c += wc[j] * u[j];
        }
        B[n] = b;
        C[n] = c;
    }
    *pre = x;
    return ssm_softplus(x);
}

/* decay = exp(delta A) and input = delta B ⊗ u for one step (M values each). */
COLD static void discretize(const double *params, const token_layout *layout, const double *u,
                       double delta, const double *B, double *decay, double *input) {
    const int32_t d = layout->d, N = layout->N;
    const double *A = params + layout->A;
    for (int32_t j = 0; j < d; j++) {
        for (int32_t n = 0; n < N; n++) {
            decay[j * N + n] = exp(delta * A[j * N + n]);
            input[j * N + n] = delta * B[n] * u[j];
        }
    }
}

/* Writes logits (K) = W y with y_j = C·h_j, and returns 0 when one of
 * them is not finite. */
COLD static int read_out(const double *params, const token_layout *layout, const double *C,
                    const double *h, double *y, double *logits) {
    const int32_t d = layout->d, N = layout->N, K = layout->K;
    for (int32_t j = 0; j < d; j++) {
        double sum = 0.0;
        for (int32_t n = 0; n < N; n++) {
            sum += C[n] * h[j * N + n];
        }
        y[j] = sum;
    }
    int finite = 1;
    for (int32_t k = 0; k < K; k++) {
        const double *w = params + layout->W + (size_t)k * d;
        double sum = 0.0;
        for (int32_t j = 0; j < d; j++) {
            sum += w[j] * y[j];
        }
        logits[k] = sum;
        finite &= isfinite(sum) != 0;
    }
    return finite;
}

/*
 * Chain rule for one token v from the adjoints of its decay (d_decay, M),
 * its input (d_input, M) and its C (d_C, N, may be NULL) into grad.
 */
COLD static void chain_token(const double *params, const token_layout *layout, int32_t v,
                        double delta, double pre, const double *B, const double *decay,
                        const double *d_decay, const double *d_input, const double *d_C,
                        double *grad, double *d_B, double *d_u) {
    const int32_t d = layout->d, N = layout->N;
    const double *u = params + layout->embedding + (size_t)v * d;
    const double *A = params + layout->A;

    /* decay = exp(delta A) and input = delta B_n u_j. */
    double d_delta = 0.0;
    for (int32_t n = 0; n < N; n++) {
        d_B[n] = 0.0;
    }
    for (int32_t j = 0; j < d; j++) {
        double d_uj = 0.0;
        for (int32_t n = 0; n < N; n++) {
            const size_t i = (size_t)j * N + n;
            const double through_decay = d_decay[i] * decay[i];
            grad[layout->A + i] += through_decay * delta;
            d_delta += through_decay * A[i] + d_input[i] * B[n] * u[j];
            d_B[n] += d_input[i] * delta * u[j];
            d_uj += d_input[i] * delta * B[n];
        }
        d_u[j] = d_uj;
    }

    /* B = W_B u and C = W_C u. */
    for (int32_t n = 0; n < N; n++) {
        double *g_wb = grad + layout->W_B + (size_t)n * d;
        const double *wb = params + layout->W_B + (size_t)n * d;
        for (int32_t j = 0; j < d; j++) {
            g_wb[j] += d_B[n] * u[j];
            d_u[j] += wb[j] * d_B[n];
        }
        if (d_C) {
            double *g_wc = grad + layout->W_C + (size_t)n * d;
            const double *wc = params + layout->W_C + (size_t)n * d;
            for (int32_t j = 0; j < d; j++) {
                g_wc[j] += d_C[n] * u[j];
                d_u[j] += wc[j] * d_C[n];
            }
        }
    }

    /* delta = softplus(pre), pre = p + q·u; softplus' is the logistic function. */
    const double d_pre = d_delta / (1.0 + exp(-pre));
    grad[layout->p] += d_pre;
    for (int32_t j = 0; j < d; j++) {
        grad[layout->q + j] += d_pre * u[j];
        grad[layout->embedding + (size_t)v * d + j] += d_u[j] + d_pre * params[layout->q + j];
    }
}

/* Readout adjoints: grad W += dlogits ⊗ y; writes dy = W^T dlogits. */
COLD static void read_out_backward(const double *params, const token_layout *layout,
                              const double *dlogits, const double *y, double *dy,
                              double *grad) {
    const int32_t d = layout->d, K = layout->K;
    for (int32_t j = 0; j < d; j++) {
        dy[j] = 0.0;
    }
    for (int32_t k = 0; k < K; k++) {
        const double *w = params + layout->W + (size_t)k * d;
        double *g_w = grad + layout->W + (size_t)k * d;
        for (int32_t j = 0; j < d; j++) {
            g_w[j] += dlogits[k] * y[j];
            dy[j] += w[j] * dlogits[k];
        }
    }
}

COLD static ssm_status check_gradient(const token_layout *layout, const double *grad,
                                 ssm_fault *fault) {
    for (size_t e = 0; e < layout->count; e++) {
        if (!isfinite(grad[e])) {
            ssm_set_fault(fault, SSM_AT_PARAMETER, (int32_t)e, tensor_of(layout, e));
            return SSM_ERR_OVERFLOW;
        }
    }
    return SSM_OK;
}

/* ---------------------------------------------------------------------
 * Fast kernels: per-token tables and a vectorized step loop.
 * ------------------------------------------------------------------- */

COLD static void free_tables(token_tables *tables) {
    free(tables->used);
    free(tables->delta);
    free(tables->pre);
    free(tables->B);
    free(tables->C);
    free(tables->decay);
    free(tables->input);
}

/* Fills the rows of the tokens that occur in the batch. */
COLD static ssm_status build_tables(const double *params, const token_layout *layout,
                               const int32_t *tokens, int32_t total, token_tables *tables) {
    const uint64_t V = (uint64_t)layout->V, M = layout->M, N = (uint64_t)layout->N;
    memset(tables, 0, sizeof *tables);
    tables->used = (uint8_t *)calloc((size_t)V, 1);
    tables->delta = alloc_doubles(V);
    tables->pre = alloc_doubles(V);
    tables->B = alloc_doubles(V * N);
    tables->C = alloc_doubles(V * N);
    tables->decay = alloc_doubles(V * M);
    tables->input = alloc_doubles(V * M);
    if (!tables->used || !tables->delta || !tables->pre || !tables->B || !tables->C ||
        !tables->decay || !tables->input) {
        free_tables(tables);
        return SSM_ERR_ALLOC;
    }

    for (int32_t t = 0; t < total; t++) {
        tables->used[tokens[t]] = 1;
    }
    for (int32_t v = 0; v < layout->V; v++) {
        if (!tables->used[v]) {
            continue;
        }
        const double *u = params + layout->embedding + (size_t)v * layout->d;
        double *B = tables->B + (size_t)v * N;
        tables->delta[v] = project_token(params, layout, u, &tables->pre[v], B,
                                         tables->C + (size_t)v * N);
        discretize(params, layout, u, tables->delta[v], B, tables->decay + (size_t)v * M,
                   tables->input + (size_t)v * M);
    }
    return SSM_OK;
}

/* Runs the scan over one sequence into h (M); when states is not NULL,
 * stores h after every step there (L×M). */
static void scan_sequence(const token_tables *tables, size_t M, const int32_t *sequence,
                          int32_t L, double *h, double *states) {
    memset(h, 0, M * sizeof(double));
    for (int32_t t = 0; t < L; t++) {
        const double *decay = tables->decay + (size_t)sequence[t] * M;
        const double *input = tables->input + (size_t)sequence[t] * M;
        size_t i = 0;
#if SSM_HAVE_SIMD
        for (; i + 2 <= M; i += 2) {
            const v128_t next = wasm_f64x2_add(
                wasm_f64x2_mul(wasm_v128_load(decay + i), wasm_v128_load(h + i)),
                wasm_v128_load(input + i));
            wasm_v128_store(h + i, next);
        }
#endif
        for (; i < M; i++) {
            h[i] = decay[i] * h[i] + input[i];
        }
        if (states) {
            memcpy(states + (size_t)t * M, h, M * sizeof(double));
        }
    }
}

ssm_status ssm_token_logits(const double *params, int32_t V, int32_t d, int32_t N,
                            int32_t K, const int32_t *tokens, const int32_t *offsets,
                            int32_t count, double *logits, ssm_fault *fault) {
    token_layout layout;
    int32_t longest = 0;
    ssm_status status = begin_call(params, V, d, N, K, tokens, offsets, count, &layout,
                                   &longest, fault);
    if (status != SSM_OK) {
        return status;
    }
    if (!logits) {
        return SSM_ERR_ARGUMENT;
    }

    token_tables tables;
    status = build_tables(params, &layout, tokens, offsets[count], &tables);
    if (status != SSM_OK) {
        return status;
    }
    double *h = alloc_doubles(layout.M + (uint64_t)d);
    if (!h) {
        free_tables(&tables);
        return SSM_ERR_ALLOC;
    }
    double *y = h + layout.M;

    for (int32_t i = 0; i < count && status == SSM_OK; i++) {
        const int32_t *sequence = tokens + offsets[i];
        const int32_t L = offsets[i + 1] - offsets[i];
        scan_sequence(&tables, layout.M, sequence, L, h, NULL);
        const double *C = tables.C + (size_t)sequence[L - 1] * N;
        if (!read_out(params, &layout, C, h, y, logits + (size_t)i * K)) {
            ssm_set_fault(fault, SSM_AT_LOGITS, i, -1);
            status = SSM_ERR_OVERFLOW;
        }
    }
    free(h);
    free_tables(&tables);
    return status;
}

/* g = decay ⊙ g after adding g to d_input and g ⊙ previous to d_decay. */
static void step_backward(size_t M, const double *decay, const double *previous,
                          double *g, double *d_decay, double *d_input) {
    size_t i = 0;
#if SSM_HAVE_SIMD
    for (; i + 2 <= M; i += 2) {
        const v128_t g2 = wasm_v128_load(g + i);
        wasm_v128_store(d_input + i, wasm_f64x2_add(wasm_v128_load(d_input + i), g2));
        if (previous) {
            const v128_t through = wasm_f64x2_mul(g2, wasm_v128_load(previous + i));
            wasm_v128_store(d_decay + i, wasm_f64x2_add(wasm_v128_load(d_decay + i), through));
        }
        wasm_v128_store(g + i, wasm_f64x2_mul(g2, wasm_v128_load(decay + i)));
    }
#endif
    for (; i < M; i++) {
        d_input[i] += g[i];
        if (previous) {
            d_decay[i] += g[i] * previous[i];
        }
        g[i] *= decay[i];
    }
}

ssm_status ssm_token_backward(const double *params, int32_t V, int32_t d, int32_t N,
                              int32_t K, const int32_t *tokens, const int32_t *offsets,
                              int32_t count, const double *dlogits, double *grad,
                              ssm_fault *fault) {
    token_layout layout;
    int32_t longest = 0;
    ssm_status status = begin_call(params, V, d, N, K, tokens, offsets, count, &layout,
                                   &longest, fault);
    if (status != SSM_OK) {
        return status;
    }
    if (!dlogits || !grad) {
        return SSM_ERR_ARGUMENT;
    }
    const size_t M = layout.M;
    memset(grad, 0, layout.count * sizeof(double));

    token_tables tables;
    status = build_tables(params, &layout, tokens, offsets[count], &tables);
    if (status != SSM_OK) {
        return status;
    }
    /* Adjoints summed per token: of decay, of input (V×M each) and of C (V×N). */
    double *d_decay = alloc_doubles((uint64_t)V * M);
    double *d_input = alloc_doubles((uint64_t)V * M);
    double *d_C = alloc_doubles((uint64_t)V * N);
    double *states = alloc_doubles((uint64_t)longest * M);
    double *work = alloc_doubles(2 * (uint64_t)M + 3 * (uint64_t)d + N);
    if (!d_decay || !d_input || !d_C || !states || !work) {
        free(d_decay);
        free(d_input);
        free(d_C);
        free(states);
        free(work);
        free_tables(&tables);
        return SSM_ERR_ALLOC;
    }
    double *h = work, *g = work + M, *y = g + M, *dy = y + d, *d_u = dy + d, *d_B = d_u + d;

    for (int32_t i = 0; i < count; i++) {
        const int32_t *sequence = tokens + offsets[i];
        const int32_t L = offsets[i + 1] - offsets[i];
        const int32_t last = sequence[L - 1];
        scan_sequence(&tables, M, sequence, L, h, states);

        /* Readout of the last step: y, then dy = W^T dlogits. */
        const double *C = tables.C + (size_t)last * N;
        const double *h_last = states + (size_t)(L - 1) * M;
        for (int32_t j = 0; j < d; j++) {
            double sum = 0.0;
            for (int32_t n = 0; n < N; n++) {
                sum += C[n] * h_last[j * N + n];
            }
            y[j] = sum;
        }
        read_out_backward(params, &layout, dlogits + (size_t)i * K, y, dy, grad);

        /* y_j = C·h_j: the adjoint of C, and g at the last step. */
        double *d_C_last = d_C + (size_t)last * N;
        for (int32_t j = 0; j < d; j++) {
            for (int32_t n = 0; n < N; n++) {
                d_C_last[n] += dy[j] * h_last[j * N + n];
                g[j * N + n] = dy[j] * C[n];
            }
        }

        for (int32_t t = L - 1; t >= 0; t--) {
            const size_t v = (size_t)sequence[t];
            step_backward(M, tables.decay + v * M, t > 0 ? states + (size_t)(t - 1) * M : NULL,
                          g, d_decay + v * M, d_input + v * M);
        }
    }

    for (int32_t v = 0; v < V; v++) {
        if (tables.used[v]) {
            chain_token(params, &layout, v, tables.delta[v], tables.pre[v],
                        tables.B + (size_t)v * N, tables.decay + (size_t)v * M,
                        d_decay + (size_t)v * M, d_input + (size_t)v * M,
                        d_C + (size_t)v * N, grad, d_B, d_u);
        }
    }
    status = check_gradient(&layout, grad, fault);

    free(d_decay);
    free(d_input);
    free(d_C);
    free(states);
    free(work);
    free_tables(&tables);
    return status;
}

/* ---------------------------------------------------------------------
 * Plain twins: every step computed from the parameters.
 * ------------------------------------------------------------------- */

ssm_status ssm_token_logits_plain(const double *params, int32_t V, int32_t d,
                                  int32_t N, int32_t K, const int32_t *tokens,
                                  const int32_t *offsets, int32_t count,
                                  double *logits, ssm_fault *fault) {
    token_layout layout;
    int32_t longest = 0;
    ssm_status status = begin_call(params, V, d, N, K, tokens, offsets, count, &layout,
                                   &longest, fault);
    if (status != SSM_OK) {
        return status;
    }
    if (!logits) {
        return SSM_ERR_ARGUMENT;
    }
    const size_t M = layout.M;
    double *work = alloc_doubles(3 * (uint64_t)M + 2 * (uint64_t)N + d);
    if (!work) {
        return SSM_ERR_ALLOC;
    }
    double *h = work, *decay = h + M, *input = decay + M, *B = input + M, *C = B + N, *y = C + N;

    for (int32_t i = 0; i < count && status == SSM_OK; i++) {
        const int32_t *sequence = tokens + offsets[i];
        const int32_t L = offsets[i + 1] - offsets[i];
        memset(h, 0, M * sizeof(double));
        for (int32_t t = 0; t < L; t++) {
            const double *u = params + layout.embedding + (size_t)sequence[t] * d;
            double pre;
            const double delta = project_token(params, &layout, u, &pre, B, C);
            discretize(params, &layout, u, delta, B, decay, input);
            for (size_t s = 0; s < M; s++) {
                h[s] = decay[s] * h[s] + input[s];
            }
        }
        if (!read_out(params, &layout, C, h, y, logits + (size_t)i * K)) {
            ssm_set_fault(fault, SSM_AT_LOGITS, i, -1);
            status = SSM_ERR_OVERFLOW;
        }
    }
    free(work);
    return status;
}

ssm_status ssm_token_backward_plain(const double *params, int32_t V, int32_t d,
                                    int32_t N, int32_t K, const int32_t *tokens,
                                    const int32_t *offsets, int32_t count,
                                    const double *dlogits, double *grad,
                                    ssm_fault *fault) {
    token_layout layout;
    int32_t longest = 0;
    ssm_status status = begin_call(params, V, d, N, K, tokens, offsets, count, &layout,
                                   &longest, fault);
    if (status != SSM_OK) {
        return status;
    }
    if (!dlogits || !grad) {
        return SSM_ERR_ARGUMENT;
    }
    const size_t M = layout.M;
    memset(grad, 0, layout.count * sizeof(double));

    /* Per step: delta (1), pre (1), B (N), C (N) and h (M), kept for the backward walk. */
    const uint64_t per_step = 2 + 2 * (uint64_t)N + M;
    double *steps = alloc_doubles((uint64_t)longest * per_step);
    double *work = alloc_doubles(5 * (uint64_t)M + 3 * (uint64_t)d + N);
    if (!steps || !work) {
        free(steps);
        free(work);
        return SSM_ERR_ALLOC;
    }
    double *g = work, *decay = g + M, *input = decay + M, *d_decay = input + M,
           *d_input = d_decay + M, *y = d_input + M, *dy = y + d, *d_u = dy + d, *d_B = d_u + d;

    for (int32_t i = 0; i < count; i++) {
        const int32_t *sequence = tokens + offsets[i];
        const int32_t L = offsets[i + 1] - offsets[i];

        /* Forward, keeping every step. */
        for (int32_t t = 0; t < L; t++) {
            double *step = steps + (size_t)t * per_step;
            double *B = step + 2, *C = B + N, *h = C + N;
            const double *u = params + layout.embedding + (size_t)sequence[t] * d;
            step[0] = project_token(params, &layout, u, &step[1], B, C);
            discretize(params, &layout, u, step[0], B, decay, input);
            const double *h_previous = t > 0 ? h - per_step : NULL;
            for (size_t s = 0; s < M; s++) {
                h[s] = decay[s] * (h_previous ? h_previous[s] : 0.0) + input[s];
            }
        }

        /* Readout of the last step. */
        const double *last = steps + (size_t)(L - 1) * per_step;
        const double *C_last = last + 2 + N, *h_last = C_last + N;
        for (int32_t j = 0; j < d; j++) {
            double sum = 0.0;
            for (int32_t n = 0; n < N; n++) {
                sum += C_last[n] * h_last[j * N + n];
            }
            y[j] = sum;
        }
        read_out_backward(params, &layout, dlogits + (size_t)i * K, y, dy, grad);
        /* The N adjoints of C[L-1] borrow decay, which the walk below refills. */
        double *d_C = decay;
        for (int32_t n = 0; n < N; n++) {
            d_C[n] = 0.0;
        }
        for (int32_t j = 0; j < d; j++) {
            for (int32_t n = 0; n < N; n++) {
                d_C[n] += dy[j] * h_last[j * N + n];
                g[j * N + n] = dy[j] * C_last[n];
            }
        }
        /* C only enters the loss at the last step; its chain rule goes through W_C. */
        const double *u_last = params + layout.embedding + (size_t)sequence[L - 1] * d;
        for (int32_t n = 0; n < N; n++) {
            double *g_wc = grad + layout.W_C + (size_t)n * d;
            const double *wc = params + layout.W_C + (size_t)n * d;
            for (int32_t j = 0; j < d; j++) {
                g_wc[j] += d_C[n] * u_last[j];
                grad[layout.embedding + (size_t)sequence[L - 1] * d + j] += wc[j] * d_C[n];
            }
        }

        /* Backward walk: each step's adjoints go straight into the parameters. */
        for (int32_t t = L - 1; t >= 0; t--) {
            const double *step = steps + (size_t)t * per_step;
            const double *B = step + 2;
            const double *u = params + layout.embedding + (size_t)sequence[t] * d;
            const double *h_previous = t > 0 ? steps + (size_t)(t - 1) * per_step + 2 + 2 * N : NULL;
            discretize(params, &layout, u, step[0], B, decay, input);
            for (size_t s = 0; s < M; s++) {
                d_input[s] = g[s];
                d_decay[s] = h_previous ? g[s] * h_previous[s] : 0.0;
                g[s] *= decay[s];
            }
            chain_token(params, &layout, sequence[t], step[0], step[1], B, decay, d_decay,
                        d_input, NULL, grad, d_B, d_u);
        }
    }
    status = check_gradient(&layout, grad, fault);
    free(steps);
    free(work);
    return status;
}
