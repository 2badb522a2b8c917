/*
 * check.c: the core built natively (the same SIMD source through SIMDe) and
 * run under AddressSanitizer and UndefinedBehaviorSanitizer, on the
 * authors' fixtures and on random shapes, values and options. Any
 * sanitizer report aborts the program; any wrong status or value is
 * counted as a failure. Usage: check FIXTURES_DIR
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssm_lens.h"

static int passed, failed;

#define CHECK(condition, ...)                        \
    do {                                             \
        if (condition) {                             \
            passed++;                                \
        } else {                                     \
            failed++;                                \
            fprintf(stderr, "FAILED %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);            \
            fputc('\n', stderr);                     \
        }                                            \
    } while (0)

/* ---------- random numbers ---------- */

static unsigned long long state = 0x9e3779b97f4a7c15ull;
static double uniform(void) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(state >> 11) / 9007199254740992.0;
}
static float between(double lo, double hi) {
    return (float)(lo + (hi - lo) * uniform());
}

/* ---------- reading the fixtures ---------- */

static unsigned char *read_file(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    fseek(file, 0, SEEK_END);
    *size = (size_t)ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *bytes = malloc(*size + 1);
    if (bytes && fread(bytes, 1, *size, file) != *size) {
        free(bytes);
        bytes = NULL;
    }
    if (bytes) bytes[*size] = 0;
    fclose(file);
    return bytes;
}

/* Finds tensor name in a safetensors header and returns its float32 data,
 * or NULL. Enough for the fixtures, whose tensors are all F32. */
static float *tensor(const unsigned char *file, size_t size, const char *name, size_t *count) {
    unsigned long long header = 0;
    for (int i = 7; i >= 0; i--) header = header * 256 + file[i];
    char key[64];
    snprintf(key, sizeof key, "\"%s\"", name);
    const char *json = (const char *)file + 8;
    const char *at = strstr(json, key);
    if (!at || (size_t)(at - json) > header) return NULL;
    const char *offsets = strstr(at, "\"data_offsets\"");
    if (!offsets) return NULL;
    unsigned long begin, end;
    if (sscanf(offsets, "\"data_offsets\": [%lu, %lu]", &begin, &end) != 2) return NULL;
    if (8 + header + end > size || begin > end) return NULL;
    *count = (end - begin) / 4;
    float *data = malloc(end - begin + 4);
    memcpy(data, file + 8 + header + begin, end - begin);
    return data;
}

/* Parses the numbers of the JSON array that follows key, starting at *at,
 * and moves *at past it. Returns how many were read, at most limit. */
static int numbers_after(const char **at, const char *key, double *out, int limit) {
    const char *found = strstr(*at, key);
    if (!found) return -1;
    const char *p = strchr(found, '[') + 1;
    int count = 0;
    while (*p && *p != ']') {
        char *next;
        const double value = strtod(p, &next);
        if (next == p) {
            p++;
            continue;
        }
        if (count < limit) out[count] = value;
        count++;
        p = next;
    }
    *at = p;
    return count;
}

static void check_fixture(const char *directory, const char *prefix) {
    char path[512];
    size_t size;
    snprintf(path, sizeof path, "%s/model.safetensors", directory);
    unsigned char *file = read_file(path, &size);
    CHECK(file != NULL, "cannot read %s", path);
    if (!file) return;

    char name[64];
    size_t n_A, n_B, n_C, n_q, n_p, n_W, n_E;
    snprintf(name, sizeof name, "%sA", prefix);
    float *A = tensor(file, size, name, &n_A);
    snprintf(name, sizeof name, "%sW_B", prefix);
    float *W_B = tensor(file, size, name, &n_B);
    snprintf(name, sizeof name, "%sW_C", prefix);
    float *W_C = tensor(file, size, name, &n_C);
    snprintf(name, sizeof name, "%sq_delta", prefix);
    float *q = tensor(file, size, name, &n_q);
    snprintf(name, sizeof name, "%sp_delta", prefix);
    float *p = tensor(file, size, name, &n_p);
    float *W = tensor(file, size, strcmp(prefix, "ssm.") == 0 ? "W" : "SSM.w", &n_W);
    float *E = tensor(file, size, "embedding.weight", &n_E);
    const float *found[7] = {A, W_B, W_C, q, p, W, E};
    int missing = 0;
    for (int i = 0; i < 7; i++) {
        CHECK(found[i] != NULL, "%s: tensor %d of A, W_B, W_C, q, p, W, embedding is missing", path, i);
        missing += found[i] == NULL;
    }
    if (missing) return;

    const int d = (int)n_q, N = (int)(n_A / n_q), K = (int)(n_W / n_q), V = (int)(n_E / n_q);
    const ssm_model model = {d, N, K, A, W_B, W_C, q, p[0], W};

    snprintf(path, sizeof path, "%s/expected.json", directory);
    size_t json_size;
    char *json = (char *)read_file(path, &json_size);
    CHECK(json != NULL, "cannot read %s", path);
    const char *at = json;
    static double tokens[4096], logits[64];
    int cases = 0;
    while (json) {
        const int T = numbers_after(&at, "\"tokens\"", tokens, 4096);
        if (T <= 0) break;
        const int k = numbers_after(&at, "\"logits\"", logits, 64);
        float *u = malloc(sizeof(float) * (size_t)T * d);
        for (int t = 0; t < T; t++) {
            const int token = (int)tokens[t];
            CHECK(token >= 0, "token %d is negative", token);
            CHECK(token < V, "token %d is not below the vocabulary size %d", token, V);
            if (token < 0 || token >= V) break;
            memcpy(u + (size_t)t * d, E + (size_t)token * d, sizeof(float) * d);
        }
        float *delta = malloc(sizeof(float) * T), *y = malloc(sizeof(float) * (size_t)T * d);
        float out[64];
        ssm_fault fault;
        const ssm_status status = ssm_forward(&model, u, T, delta, y, out, &fault);
        CHECK(status == SSM_OK, "%s case %d: status %d", directory, cases, status);
        CHECK(k == K, "%s case %d: %d expected logits, model has %d", directory, cases, k, K);
        for (int i = 0; i < K && status == SSM_OK; i++) {
            CHECK(fabs(out[i] - logits[i]) <= 1e-4 * fabs(logits[i]), "%s case %d: logit %d is %g, PyTorch %g",
                  directory, cases, i, out[i], logits[i]);
        }
        free(u);
        free(delta);
        free(y);
        cases++;
    }
    CHECK(cases >= 3, "%s: only %d cases read", directory, cases);
    free(json);
    free(A), free(W_B), free(W_C), free(q), free(p), free(W), free(E), free(file);
}

/* ---------- random models ---------- */

typedef struct random_case {
    ssm_model model;
    float *u;
    int T;
} random_case;

static random_case make_case(double s_A) {
    random_case c;
    const int d = 1 + (int)(uniform() * 9), N = 1 + (int)(uniform() * 9), K = 1 + (int)(uniform() * 3);
    c.T = 1 + (int)(uniform() * 70);
    float *A = malloc(sizeof(float) * d * N), *W_B = malloc(sizeof(float) * N * d);
    float *W_C = malloc(sizeof(float) * N * d), *q = malloc(sizeof(float) * d), *W = malloc(sizeof(float) * K * d);
    for (int i = 0; i < d * N; i++) A[i] = i % N == 0 ? (float)s_A : between(s_A - 10, s_A);
    for (int i = 0; i < N * d; i++) W_B[i] = between(-2, 2), W_C[i] = between(-2, 2);
    for (int i = 0; i < d; i++) q[i] = between(-1, 1);
    for (int i = 0; i < K * d; i++) W[i] = between(-1, 1);
    c.u = malloc(sizeof(float) * (size_t)c.T * d);
    for (int i = 0; i < c.T * d; i++) c.u[i] = between(-1.5, 1.5);
    c.model = (ssm_model){d, N, K, A, W_B, W_C, q, between(-1, 1), W};
    return c;
}

static void free_case(random_case *c) {
    free((void *)c->model.A), free((void *)c->model.W_B), free((void *)c->model.W_C);
    free((void *)c->model.q), free((void *)c->model.W), free(c->u);
}

static void check_random(int trials) {
    for (int trial = 0; trial < trials; trial++) {
        random_case c = make_case(trial % 3 == 0 ? 0.05 : -0.1 * (trial % 5));
        const ssm_model *m = &c.model;
        const int T = c.T, d = m->d;
        float *delta = malloc(sizeof(float) * T), *y = malloc(sizeof(float) * (size_t)T * d);
        float *y_plain = malloc(sizeof(float) * (size_t)T * d), logits[8], logits_plain[8];
        ssm_fault fault;
        const ssm_status forward = ssm_forward(m, c.u, T, delta, y, logits, &fault);
        const ssm_status forward_plain = ssm_forward_plain(m, c.u, T, delta, y_plain, logits_plain, &fault);
        CHECK(forward == forward_plain, "trial %d: forward status %d, plain %d", trial, forward, forward_plain);

        float *alpha = malloc(sizeof(float) * (size_t)T * T), *alpha_plain = malloc(sizeof(float) * (size_t)T * T);
        for (int view = -2; view < d; view++) {
            const ssm_status fast = ssm_attention(m, c.u, T, view, m->K - 1, alpha, &fault);
            const ssm_status plain = ssm_attention_plain(m, c.u, T, view, m->K - 1, alpha_plain, &fault);
            CHECK(fast == plain, "trial %d view %d: attention status %d, plain %d", trial, view, fast, plain);
            if (fast != SSM_OK || plain != SSM_OK || view < 0 || forward != SSM_OK) continue;
            /* The attention form reproduces the scan for channel `view`. */
            for (int t = 0; t < T; t++) {
                double sum = 0, magnitude = 0;
                for (int s = 0; s <= t; s++) {
                    sum += (double)alpha[(size_t)t * T + s] * c.u[(size_t)s * d + view];
                    magnitude += fabs((double)alpha_plain[(size_t)t * T + s] * c.u[(size_t)s * d + view]);
                }
                const double target = y[(size_t)t * d + view];
                CHECK(fabs(sum - target) <= 1e-4 * (magnitude + fabs(target)) + 1e-30,
                      "trial %d channel %d t=%d: sum %g, y %g", trial, view, t, sum, target);
            }
        }

        const int P = 1 + (int)(uniform() * T);
        float *pooled = malloc(sizeof(float) * P * P), *pooled_plain = malloc(sizeof(float) * P * P);
        for (int mode = 0; mode < 2; mode++) {
            const ssm_status fast = ssm_attention_pooled(m, c.u, T, SSM_VIEW_MEAN, 0, P, mode, pooled, &fault);
            const ssm_status plain = ssm_attention_pooled_plain(m, c.u, T, SSM_VIEW_MEAN, 0, P, mode, pooled_plain, &fault);
            CHECK(fast == plain, "trial %d: pooled status %d, plain %d", trial, fast, plain);
        }

        ssm_norms norms;
        CHECK(ssm_compute_norms(m, &norms) == SSM_OK, "trial %d: norms", trial);
        const ssm_bound_input input = {norms.s_A, norms.B_A, norms.B_B, norms.B_C, norms.B_w, norms.B_q,
                                       norms.p, d, m->N, 1.5, 1000, 0.05, 1, 1, T, 0};
        ssm_bound_terms terms[4];
        const double values[4] = {1, 10, 1e6, 1e15};
        CHECK(ssm_sweep_bound(&input, norms.s_A - 10, SSM_SWEEP_T, values, 4, terms, &fault) == SSM_OK, "trial %d: sweep", trial);
        for (int i = 0; i < 4; i++) {
            CHECK(!isnan(terms[i].log10_C_F), "trial %d: log10 C_F is NaN at T=%g", trial, values[i]);
            CHECK(!isnan(terms[i].log10_S2), "trial %d: log10 S2 is NaN at T=%g", trial, values[i]);
        }
        free(delta), free(y), free(y_plain), free(alpha), free(alpha_plain), free(pooled), free(pooled_plain);
        free_case(&c);
    }
}

/* ---------- misuse ---------- */

static void check_misuse(void) {
    random_case c = make_case(-0.1);
    ssm_model m = c.model;
    float out[4096];
    ssm_fault fault;
    CHECK(ssm_forward(&m, c.u, 0, out, out, out, &fault) == SSM_ERR_SHAPE, "T = 0");
    CHECK(ssm_attention(&m, c.u, c.T, m.d, 0, out, &fault) == SSM_ERR_ARGUMENT, "view d");
    CHECK(fault.what == SSM_AT_OPTION, "view d: fault kind %d", fault.what);
    CHECK(ssm_attention_pooled(&m, c.u, c.T, 0, 0, c.T + 1, SSM_POOL_MEAN, out, &fault) == SSM_ERR_ARGUMENT, "P > T");
    CHECK(ssm_attention_pooled(&m, c.u, c.T, 0, 0, 1, 7, out, &fault) == SSM_ERR_ARGUMENT, "mode 7");

    float *A = (float *)m.A;
    const float saved = A[0];
    A[0] = NAN;
    CHECK(ssm_check_model(&m, &fault) == SSM_ERR_NONFINITE, "NaN in A");
    CHECK(fault.what == SSM_AT_PARAMETER, "NaN in A: fault kind %d", fault.what);
    CHECK(fault.index == 0, "NaN in A: tensor %d", fault.index);
    A[0] = saved;
    c.u[0] = INFINITY;
    CHECK(ssm_forward(&m, c.u, c.T, out, out, out, &fault) == SSM_ERR_NONFINITE, "Infinity in u");
    CHECK(fault.what == SSM_AT_INPUT, "Infinity in u: fault kind %d", fault.what);
    c.u[0] = 0;
    m.d = 0;
    CHECK(ssm_check_model(&m, &fault) == SSM_ERR_SHAPE, "d = 0");
    CHECK(fault.what == SSM_AT_SIZE, "d = 0: fault kind %d", fault.what);
    m.d = c.model.d;

    /* Growth: overflow is reported, never a crash. */
    for (int i = 0; i < m.d * m.N; i++) A[i] = 50;
    const int T = 4000;
    float *u = malloc(sizeof(float) * T * m.d), *delta = malloc(sizeof(float) * T), *y = malloc(sizeof(float) * T * m.d);
    for (int i = 0; i < T * m.d; i++) u[i] = 1;
    CHECK(ssm_forward(&m, u, T, delta, y, out, &fault) == SSM_ERR_OVERFLOW, "growth overflows");
    float *pooled = malloc(sizeof(float) * 64 * 64);
    CHECK(ssm_attention_pooled(&m, u, T, SSM_VIEW_MEAN, 0, 64, SSM_POOL_MEAN, pooled, &fault) == SSM_ERR_OVERFLOW, "pooled growth overflows");
    free(u), free(delta), free(y), free(pooled);
    free_case(&c);

    ssm_bound_input bad = {0};
    ssm_bound_terms terms;
    CHECK(ssm_compute_bound(&bad, &terms) == SSM_ERR_ARGUMENT, "zero bound input");
}

/* ---------- training kernels ---------- */

/* Random token batches: the SIMD and plain twins agree, the gradient
 * matches central differences on a few parameters, and misuse is reported. */
static void check_training(int trials) {
    for (int trial = 0; trial < trials; trial++) {
        const int32_t V = 1 + (int32_t)(uniform() * 6), d = 1 + (int32_t)(uniform() * 5);
        const int32_t N = 1 + (int32_t)(uniform() * 6), K = 1 + (int32_t)(uniform() * 3);
        const int32_t count = 1 + (int32_t)(uniform() * 5);
        const int64_t P = ssm_token_param_count(V, d, N, K);
        CHECK(P == (int64_t)V * d + 3 * d * N + d + 1 + (int64_t)K * d, "param count %lld", (long long)P);

        double *params = malloc(sizeof(double) * (size_t)P);
        for (int64_t i = 0; i < P; i++) params[i] = uniform() - 0.5;
        for (int32_t i = 0; i < d * N; i++) params[V * d + i] = -3 * uniform(); /* A <= 0 */
        int32_t offsets[6] = {0};
        for (int32_t i = 0; i < count; i++) offsets[i + 1] = offsets[i] + 1 + (int32_t)(uniform() * 30);
        int32_t *tokens = malloc(sizeof(int32_t) * (size_t)offsets[count]);
        for (int32_t t = 0; t < offsets[count]; t++) tokens[t] = (int32_t)(uniform() * V);
        double dlogits[15], logits[15], logits_plain[15];
        for (int32_t i = 0; i < count * K; i++) dlogits[i] = uniform() - 0.5;
        double *grad = malloc(sizeof(double) * (size_t)P), *grad_plain = malloc(sizeof(double) * (size_t)P);
        ssm_fault fault;

        CHECK(ssm_token_logits(params, V, d, N, K, tokens, offsets, count, logits, &fault) == SSM_OK, "logits");
        CHECK(ssm_token_logits_plain(params, V, d, N, K, tokens, offsets, count, logits_plain, &fault) == SSM_OK, "logits plain");
        CHECK(ssm_token_backward(params, V, d, N, K, tokens, offsets, count, dlogits, grad, &fault) == SSM_OK, "backward");
        CHECK(ssm_token_backward_plain(params, V, d, N, K, tokens, offsets, count, dlogits, grad_plain, &fault) == SSM_OK, "backward plain");
        double worst = 0;
        for (int32_t i = 0; i < count * K; i++) worst = fmax(worst, fabs(logits[i] - logits_plain[i]) / fmax(1e-6, fabs(logits_plain[i])));
        for (int64_t i = 0; i < P; i++) worst = fmax(worst, fabs(grad[i] - grad_plain[i]) / fmax(1e-6, fabs(grad_plain[i])));
        CHECK(worst < 1e-9, "trial %d: twins differ by %g", trial, worst);

        for (int probe = 0; probe < 3; probe++) {
            const int64_t i = (int64_t)(uniform() * (double)P);
            const double saved = params[i], h = 1e-5;
            double up = 0, down = 0;
            params[i] = saved + h;
            ssm_token_logits(params, V, d, N, K, tokens, offsets, count, logits, &fault);
            for (int32_t k = 0; k < count * K; k++) up += dlogits[k] * logits[k];
            params[i] = saved - h;
            ssm_token_logits(params, V, d, N, K, tokens, offsets, count, logits, &fault);
            for (int32_t k = 0; k < count * K; k++) down += dlogits[k] * logits[k];
            params[i] = saved;
            const double numeric = (up - down) / (2 * h);
            CHECK(fabs(numeric - grad[i]) <= 1e-6 * fmax(1, fabs(numeric)), "trial %d parameter %lld: %g vs %g",
                  trial, (long long)i, grad[i], numeric);
        }

        tokens[0] = V;
        CHECK(ssm_token_logits(params, V, d, N, K, tokens, offsets, count, logits, &fault) == SSM_ERR_ARGUMENT, "token V");
        CHECK(fault.what == SSM_AT_INPUT, "token V: fault kind %d", fault.what);
        CHECK(fault.step == 0, "token V: fault step %d", fault.step);
        CHECK(fault.index == V, "token V: fault index %d", fault.index);
        tokens[0] = 0;
        params[P - 1] = NAN;
        CHECK(ssm_token_backward(params, V, d, N, K, tokens, offsets, count, dlogits, grad, &fault) == SSM_ERR_NONFINITE, "NaN W");
        CHECK(fault.what == SSM_AT_PARAMETER, "NaN W: fault kind %d", fault.what);
        CHECK(fault.index == 5, "NaN W: tensor %d", fault.index);
        CHECK(fault.step == P - 1, "NaN W: position %d", fault.step);
        free(params), free(tokens), free(grad), free(grad_plain);
    }

    /* The batch loss: finite for huge logits, rejects bad labels and NaN. */
    {
        const double z[4] = {800, -800, 0.5, -3};
        const int32_t labels[2] = {1, 0}, bad_labels[2] = {1, 2};
        double loss, dz[4];
        int32_t correct;
        ssm_fault fault;
        const int32_t four[4] = {1, 0, 1, 0};
        CHECK(ssm_batch_loss(z, four, 4, 1, 0.1, 10, &loss, &correct, dz, &fault) == SSM_OK, "binary loss");
        CHECK(isfinite(loss), "binary loss value %g", loss);
        CHECK(correct == 4, "binary correct %d", correct);
        CHECK(ssm_batch_loss(z, labels, 2, 2, 0.1, 10, &loss, &correct, dz, &fault) == SSM_OK, "two-class loss");
        CHECK(isfinite(loss), "two-class loss value %g", loss);
        CHECK(ssm_batch_loss(z, bad_labels, 2, 2, 0.1, 10, &loss, &correct, dz, &fault) == SSM_ERR_ARGUMENT, "label 2 of 2 classes");
        CHECK(fault.what == SSM_AT_OPTION, "label: fault kind %d", fault.what);
        CHECK(fault.step == 1, "label: fault row %d", fault.step);
        CHECK(fault.index == 2, "label: fault label %d", fault.index);
        const double nan[2] = {NAN, 0};
        CHECK(ssm_batch_loss(nan, labels, 2, 1, 0.1, 10, &loss, &correct, dz, &fault) == SSM_ERR_NONFINITE, "NaN logit");
    }

    /* Misuse of sizes and offsets. */
    double params[64] = {0}, logits[4];
    int32_t tokens[4] = {0, 0, 0, 0}, offsets[3] = {0, 2, 2};
    ssm_fault fault;
    CHECK(ssm_token_param_count(0, 1, 1, 1) == -1, "V = 0");
    CHECK(ssm_token_logits(params, 1, 1, 1, 1, tokens, offsets, 2, logits, &fault) == SSM_ERR_ARGUMENT, "empty sequence");
    CHECK(ssm_token_logits(params, 1, 1, 1, 1, tokens, offsets, 0, logits, &fault) == SSM_ERR_SHAPE, "count 0");
    CHECK(ssm_token_logits(params, 1, 0, 1, 1, tokens, offsets, 1, logits, &fault) == SSM_ERR_SHAPE, "d 0");

    /* Growth: the logits overflow float64 and are reported. */
    const int32_t V = 1, d = 1, N = 1, K = 1, T = 2000;
    double grown[7] = {1, 1, 1, 1, 0, 30, 1}; /* E, A = 1, W_B, W_C, q, p = 30, W */
    int32_t *ones = calloc(T, sizeof(int32_t)), span[2] = {0, T};
    CHECK(ssm_token_logits(grown, V, d, N, K, ones, span, 1, logits, &fault) == SSM_ERR_OVERFLOW, "growth overflows");
    CHECK(fault.what == SSM_AT_LOGITS, "growth: fault kind %d", fault.what);
    CHECK(fault.step == 0, "growth: fault sequence %d", fault.step);
    double grad[7];
    CHECK(ssm_token_backward(grown, V, d, N, K, ones, span, 1, grown, grad, &fault) == SSM_ERR_OVERFLOW, "growth gradient");
    free(ones);
}

int main(int argc, char **argv) {
    const char *fixtures = argc > 1 ? argv[1] : "../shared/fixtures";
    char directory[512];
    snprintf(directory, sizeof directory, "%s/authors-majority-T100-seed1", fixtures);
    check_fixture(directory, "SSM.ssm.");
    snprintf(directory, sizeof directory, "%s/authors-listops-T100-seed1", fixtures);
    check_fixture(directory, "ssm.");
    check_random(300);
    check_misuse();
    check_training(200);
    printf("native check: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
