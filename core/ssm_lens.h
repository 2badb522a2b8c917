/*
 * ssm_lens.h: the contract of the ssm-lens core.
 *
 * A selective state-space block (diagonal A, input-dependent step size
 * delta, B and C), its recurrent scan, the same block written as a causal
 * attention matrix, and the terms of the generalization bound of
 * Honarpisheh, Bozdag, Camps and Sznaier, "Generalization Error Analysis
 * for Selective State-Space Models Through the Lens of Attention"
 * (NeurIPS 2025).
 *
 * Symbols
 *   T  sequence length (steps t = 0..T-1 in code, 1..T in the paper)
 *   d  channels, the width of one input row u[t]
 *   N  states per channel
 *   K  outputs of the readout (1 for a vector w)
 *
 * Layout: every matrix is row-major float32 unless stated otherwise.
 *   u      T×d   u[t*d + j]
 *   A      d×N   row j is the diagonal of channel j's continuous state matrix
 *   W_B    N×d   B[t] = W_B u[t]
 *   W_C    N×d   C[t] = W_C u[t]
 *   q      d     delta[t] = softplus(p + q·u[t])
 *   W      K×d   logits = W y[T-1]
 *   y      T×d   y[t*d + j]
 *   alpha  T×T   alpha[t*T + s], row t = output step, column s = input step
 *
 * Ownership: the caller allocates every input and output array. A function
 * that needs work memory allocates it with malloc, frees it before
 * returning and reports SSM_ERR_ALLOC when it cannot get it.
 *
 * Errors: every function returns an ssm_status and never prints or exits.
 * Where a failure has a position, it is written to *fault when fault is
 * not NULL.
 */
#ifndef SSM_LENS_H
#define SSM_LENS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ssm_status {
    SSM_OK = 0,
    SSM_ERR_SHAPE = 1,     /* a size is zero, negative or above SSM_MAX_* */
    SSM_ERR_NONFINITE = 2, /* NaN or Infinity in an input or parameter */
    SSM_ERR_OVERFLOW = 3,  /* a result exceeds the float32 range (float64 for the training functions) */
    SSM_ERR_ALLOC = 4,     /* malloc failed */
    SSM_ERR_ARGUMENT = 5   /* an option is out of its range */
} ssm_status;

/* Sizes above these are rejected with SSM_ERR_SHAPE before any allocation. */
#define SSM_MAX_T 1000000000
#define SSM_MAX_D 4096
#define SSM_MAX_N 4096
#define SSM_MAX_K 4096
#define SSM_MAX_BOUND_T 1e15 /* the longest T (and largest m, d, N) the bound accepts */
#define SSM_MAX_NORM 1e50     /* the largest norm, |s_A|, |p|, B_u or eta the bound accepts */

/* Attention views other than a channel index j >= 0. */
#define SSM_VIEW_MEAN (-1)  /* (1/d) sum_j alpha_j[t,s] */
#define SSM_VIEW_LOGIT (-2) /* c_t[s] = sum_j W[k,j] alpha_j[t,s] u_j[s] */

/* What a failure concerns, in ssm_fault.what. */
typedef enum ssm_fault_kind {
    SSM_AT_NONE = 0,
    SSM_AT_PARAMETER = 1, /* index: tensor (0 A, 1 W_B, 2 W_C, 3 q, 4 p, 5 W); step: flat position */
    SSM_AT_INPUT = 2,     /* step t, index j of u */
    SSM_AT_DELTA = 3,     /* step t */
    SSM_AT_Y = 4,         /* step t, index j */
    SSM_AT_LOGITS = 5,    /* index k */
    SSM_AT_ALPHA = 6,     /* step t (row), index s (column) */
    SSM_AT_SIZE = 7,      /* index: 0 d, 1 N, 2 K, 3 T */
    SSM_AT_OPTION = 8,    /* a view, readout row, pooled size or mode; index: its value */
    SSM_AT_CELL = 9,      /* a pooled cell: step = its first row, index = its first column */
    SSM_AT_SWEEP = 10     /* index: position of the sweep value */
} ssm_fault_kind;

/* Where a failure happened: what it concerns, and the step and index
 * involved, or -1 where they do not apply. */
typedef struct ssm_fault {
    int32_t what; /* an ssm_fault_kind */
    int32_t step;
    int32_t index;
} ssm_fault;

/* A model's parameters. All pointers are borrowed, never freed here.
 * In wasm32 every field is 4 bytes wide, so the byte offsets are
 * d 0, N 4, K 8, A 12, W_B 16, W_C 20, q 24, p 28, W 32. */
typedef struct ssm_model {
    int32_t d;
    int32_t N;
    int32_t K;
    const float *A;   /* d×N */
    const float *W_B; /* N×d */
    const float *W_C; /* N×d */
    const float *q;   /* d */
    float p;
    const float *W;   /* K×d */
} ssm_model;

/* Checks sizes against SSM_MAX_* (SSM_ERR_SHAPE, fault SSM_AT_SIZE) and
 * every parameter for NaN or Infinity (SSM_ERR_NONFINITE, SSM_AT_PARAMETER). */
ssm_status ssm_check_model(const ssm_model *model, ssm_fault *fault);

/* Runs the recurrent scan over u (T×d) and writes delta (T), y (T×d) and
 * logits (K) = W y[T-1]. The state is carried in float64 and each output
 * is rounded to float32 once; a step size, output or logit beyond the
 * float32 range gives SSM_ERR_OVERFLOW with fault->what SSM_AT_DELTA,
 * SSM_AT_Y or SSM_AT_LOGITS. A NaN or Infinity in u gives
 * SSM_ERR_NONFINITE with SSM_AT_INPUT, fault->step = t, fault->index = j.
 * ssm_forward is vectorized over states with wasm SIMD; ssm_forward_plain
 * is its scalar twin and computes the same values. */
ssm_status ssm_forward(const ssm_model *model, const float *u, int32_t T,
                       float *delta, float *y, float *logits, ssm_fault *fault);
ssm_status ssm_forward_plain(const ssm_model *model, const float *u, int32_t T,
                             float *delta, float *y, float *logits,
                             ssm_fault *fault);

/* Writes the T×T attention matrix of the block for input u (T×d):
 *   view = j >= 0      alpha_j[t,s] = delta[s] sum_n C[t]_n exp(A[j,n](L[t]-L[s])) B[s]_n
 *   SSM_VIEW_MEAN      the mean of alpha_j over the d channels
 *   SSM_VIEW_LOGIT     c_t[s] = sum_j W[k,j] alpha_j[t,s] u_j[s] for readout row k
 * where L[t] = delta[0] + ... + delta[t]. Entries with s > t are 0.
 * Row t of the logit view sums to W[k]·y[t]; row T-1 sums to logits[k].
 * k is used by the logit view only and must be in 0..K-1.
 * Entries beyond the float32 range give SSM_ERR_OVERFLOW with
 * SSM_AT_ALPHA and the row and column where it was detected.
 * ssm_attention computes blocks of 32 rows with wasm SIMD as float32
 * products over lanes; its entries differ from the float64 values by about
 * 1e-6 of the entry's magnitude (the sum of |terms| over lanes), more
 * relative to the entry itself where terms cancel. Values below FLT_MIN are
 * flushed to 0. ssm_attention_plain evaluates every entry in float64. */
ssm_status ssm_attention(const ssm_model *model, const float *u, int32_t T,
                         int32_t view, int32_t k, float *alpha,
                         ssm_fault *fault);
ssm_status ssm_attention_plain(const ssm_model *model, const float *u,
                               int32_t T, int32_t view, int32_t k,
                               float *alpha, ssm_fault *fault);

/* The attention matrix of ssm_attention reduced to P×P cells without
 * forming it: row t and column s belong to cell floor(t P / T) and
 * floor(s P / T). mode SSM_POOL_MAX_ABS keeps the largest |alpha| of each
 * cell; SSM_POOL_MEAN its mean, the zeros above the diagonal included.
 * pooled is P×P row-major; 1 <= P <= min(T, SSM_MAX_POOLED). Work memory is
 * O(T M) for M lanes (N for a channel, d N otherwise) plus 32 rows of T
 * floats. SSM_POOL_MEAN costs O(T^2 M / 32) in the SIMD kernel because
 * sums over cells factor over lanes; SSM_POOL_MAX_ABS costs O(T W M) where
 * W is the band of columns whose |alpha| can reach FLT_MIN (all of them
 * when a lane does not decay). The plain twin evaluates every entry. */
#define SSM_POOL_MAX_ABS 0
#define SSM_POOL_MEAN 1
#define SSM_MAX_POOLED 2048
ssm_status ssm_attention_pooled(const ssm_model *model, const float *u, int32_t T,
                                int32_t view, int32_t k, int32_t P, int32_t mode,
                                float *pooled, ssm_fault *fault);
ssm_status ssm_attention_pooled_plain(const ssm_model *model, const float *u, int32_t T,
                                      int32_t view, int32_t k, int32_t P, int32_t mode,
                                      float *pooled, ssm_fault *fault);

/* Norms of the bound's assumptions, all float64. Spectral norms are the
 * largest singular value; "frobenius" fields are what the authors' logs
 * record as B_B, B_C and B_q. */
typedef struct ssm_norms {
    double s_A;           /* max A[j,n], the spectral abscissa of A_c */
    double B_A;           /* ||A_c||_2 = max |A[j,n]| */
    double M_A;           /* ||A_c||_{2,1} = sum |A[j,n]| */
    double B_A_frobenius; /* sqrt(sum A[j,n]^2) */
    double B_B;           /* ||W_B||_2 */
    double B_B_frobenius;
    double M_B;           /* ||W_B||_{1,1} = sum |W_B| */
    double B_C;           /* ||W_C||_2 */
    double B_C_frobenius;
    double M_C;           /* ||W_C||_{1,1} */
    double B_w;           /* ||W||_2; for K = 1 the Euclidean norm of w */
    double B_w_frobenius;
    double M_w;           /* sum |W| */
    double B_q;           /* ||q||_2 */
    double M_q;           /* ||q||_1 */
    double p;             /* the bias of the step size, with its sign */
} ssm_norms;

ssm_status ssm_compute_norms(const ssm_model *model, ssm_norms *norms);

/* What the bound depends on. The norms are those of the variant the caller
 * chose (spectral or Frobenius); the fields are all float64 so that the
 * struct can be filled from JavaScript as a Float64Array. */
typedef struct ssm_bound_input {
    double s_A, B_A, B_B, B_C, B_w, B_q, p;
    double d, N;
    double B_u;   /* max ||u[t]||_2 over the inputs considered, >= 0 */
    double m;     /* training samples, an integer, 1 <= m <= SSM_MAX_BOUND_T */
    double delta; /* confidence parameter in (0, 1) */
    double c_l;   /* loss range, > 0 */
    double l_l;   /* Lipschitz constant of the loss, > 0 */
    double T;     /* sequence length, an integer, 1 <= T <= SSM_MAX_BOUND_T */
    double eta;   /* slack added to s_A, >= 0 */
} ssm_bound_input;

/* The bound's terms. A term that exceeds the double range is +Infinity and
 * its log10_ twin carries the value. gap_bound is NaN when the logarithm
 * in the gap formula is not positive; vacuous is then 1. */
typedef struct ssm_bound_terms {
    double delta_min;    /* softplus(p - B_q B_u) */
    double M_delta;      /* softplus(p + B_q B_u) */
    double rho_A, log10_rho_A; /* exp((s_A+eta) * (s_A+eta < 0 ? delta_min : M_delta)) */
    double rho_A_paper, log10_rho_A_paper; /* exp((s_A+eta) * delta_min), the literal formula */
    double S1, log10_S1; /* sum_{t<T} rho_A^t */
    double S2, log10_S2; /* sum_{t<T} t rho_A^t */
    double C_F, log10_C_F;
    double gap_bound;    /* the gap formula, NaN when undefined */
    double vacuous;      /* 1 when the gap bound is undefined or >= c_l */
    double C_F_linear_attention, log10_C_F_linear_attention;
    double E_abs_rademacher_sum; /* E|sigma_1 + ... + sigma_m| */
    double lower_bound, log10_lower_bound;
    double lower_bound_paper, log10_lower_bound_paper;
} ssm_bound_terms;

ssm_status ssm_compute_bound(const ssm_bound_input *input,
                             ssm_bound_terms *terms);

/* Evaluates the bound at each of count values of one input field and
 * writes count terms. axis SSM_SWEEP_T sets T (integers in
 * 1..SSM_MAX_BOUND_T). axis SSM_SWEEP_S_A shifts every entry of A by
 * value - base->s_A, as the authors' experiments do: s_A becomes value and
 * B_A = max(|A_min + shift|, |value|), where A_min is A's smallest entry.
 * A value out of range gives SSM_ERR_ARGUMENT with fault->index set to
 * its position. */
#define SSM_SWEEP_T 0
#define SSM_SWEEP_S_A 1
ssm_status ssm_sweep_bound(const ssm_bound_input *base, double A_min, int32_t axis,
                           const double *values, int32_t count,
                           ssm_bound_terms *terms, ssm_fault *fault);

/* log10 of C_F from explicit factors (log10_S2 is the base-10 logarithm of
 * S2). Used to measure how C_F scales with one factor at a time. */
double ssm_capacity_log10(double M_delta, double log10_S2, double B_w, double B_B,
                          double B_C, double B_A, double B_u, double B_q, double N,
                          double d);

/* The length sums S1 = sum_{t<T} rho^t and S2 = sum_{t<T} t rho^t for
 * log_rho = ln(rho) and an integer 0 <= T <= SSM_MAX_BOUND_T, without cancellation near
 * rho = 1. The log10_ outputs stay finite where the sums overflow. */
ssm_status ssm_length_sums(double log_rho, double T, double *S1, double *log10_S1,
                           double *S2, double *log10_S2);

/* E|sigma_1 + ... + sigma_m| for m independent Rademacher signs, m >= 1. */
double ssm_expected_abs_rademacher_sum(double m);

/* Writes y[i] = exp(x[i]) for i < count with the vector exp that the SIMD
 * kernels use (the last element of an odd count uses libm). */
void ssm_exp_vector(const double *x, double *y, int32_t count);

/*
 * Training of token models (embedding -> block -> readout of the last step),
 * all in float64. The parameters are one packed vector, in this order:
 *   embedding  V×d   u[t] = embedding[token_t]
 *   A          d×N
 *   W_B        N×d
 *   W_C        N×d
 *   q          d
 *   p          1
 *   W          K×d
 * which is ssm_token_param_count(V, d, N, K) values. A batch is count
 * sequences whose tokens are concatenated: sequence i is
 * tokens[offsets[i] .. offsets[i+1]-1], offsets has count+1 entries,
 * offsets[0] = 0 and every sequence has at least one token.
 *
 * Faults: a token outside 0..V-1 gives SSM_ERR_ARGUMENT with SSM_AT_INPUT,
 * step = its position in tokens and index = its value; a NaN or Infinity
 * parameter gives SSM_ERR_NONFINITE with SSM_AT_PARAMETER, step = its
 * position in the packed vector and index = its tensor (as for ssm_model,
 * with 6 for the embedding); a logit beyond the float64 range gives
 * SSM_ERR_OVERFLOW with SSM_AT_LOGITS and step = the sequence; a gradient
 * beyond it gives SSM_ERR_OVERFLOW with SSM_AT_PARAMETER as above.
 */
#define SSM_MAX_VOCAB 16777216

/* The length of the packed parameter vector, or -1 when a size is out of
 * range or the vector would exceed 2^31 values. */
int64_t ssm_token_param_count(int32_t V, int32_t d, int32_t N, int32_t K);

/* Writes logits (count×K) of every sequence of the batch. ssm_token_logits
 * precomputes exp(delta A), delta B u and C once per vocabulary entry,
 * because delta, B and C depend on the token only, and runs the scan over
 * states with wasm SIMD. ssm_token_logits_plain evaluates every step from
 * the parameters, as the recurrence is written. */
ssm_status ssm_token_logits(const double *params, int32_t V, int32_t d, int32_t N,
                            int32_t K, const int32_t *tokens, const int32_t *offsets,
                            int32_t count, double *logits, ssm_fault *fault);
ssm_status ssm_token_logits_plain(const double *params, int32_t V, int32_t d,
                                  int32_t N, int32_t K, const int32_t *tokens,
                                  const int32_t *offsets, int32_t count,
                                  double *logits, ssm_fault *fault);

/* Backpropagation through the scan: given dlogits (count×K), the gradient of
 * a loss with respect to each sequence's logits, writes grad (the packed
 * layout) = sum over sequences of dlogits · d logits / d params. Work
 * memory: the states of the longest sequence (its length × d × N values)
 * and, for ssm_token_backward, per vocabulary entry 4 tables of d × N
 * values, 3 of N values and 2 single values. The plain twin
 * recomputes delta, B and C at every step. */
ssm_status ssm_token_backward(const double *params, int32_t V, int32_t d, int32_t N,
                              int32_t K, const int32_t *tokens, const int32_t *offsets,
                              int32_t count, const double *dlogits, double *grad,
                              ssm_fault *fault);
ssm_status ssm_token_backward_plain(const double *params, int32_t V, int32_t d,
                                    int32_t N, int32_t K, const int32_t *tokens,
                                    const int32_t *offsets, int32_t count,
                                    const double *dlogits, double *grad,
                                    ssm_fault *fault);

/* The training loss of one batch: the mean binary cross-entropy of one
 * logit per row (K = 1, labels 0..1) or the mean cross-entropy of K logits
 * (labels 0..K-1), plus factor · max(0, min_std - s), where s is the sample
 * standard deviation of sigmoid over all count·K logits (no penalty for a
 * single logit). logits and dlogits are count×K. Writes the loss, the
 * number of correct predictions (logit > 0 for K = 1, else the arg-max) and
 * dlogits, the gradient of the loss with respect to the logits. A NaN or
 * Infinity logit gives SSM_ERR_NONFINITE with SSM_AT_LOGITS (step = row,
 * index = k); a label out of range gives SSM_ERR_ARGUMENT with
 * SSM_AT_OPTION (step = row, index = the label). */
ssm_status ssm_batch_loss(const double *logits, const int32_t *labels, int32_t count,
                          int32_t K, double min_std, double factor, double *loss,
                          int32_t *correct, double *dlogits, ssm_fault *fault);

/* sizeof of ssm_model, ssm_norms, ssm_bound_input, ssm_bound_terms and
 * ssm_fault for which = 0..4, else -1. */
int32_t ssm_struct_size(int32_t which);

#ifdef __cplusplus
}
#endif

#endif /* SSM_LENS_H */
