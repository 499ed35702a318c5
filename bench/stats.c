/* stats.c: percentiles and the bootstrap interval of a ratio of medians. Medians rather than
 * means: a 2-vCPU VM has rare long stalls (another tenant, a timer interrupt storm) that would
 * dominate a mean but not the middle of the distribution. */
#include "stats.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BOOTSTRAP_ROUNDS 2000

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}

/* p in [0, 1] of sorted s[0..n), linear between neighbours (the "R-7" definition). */
static double percentile_sorted(const double *s, size_t n, double p)
{
    double pos = p * (double) (n - 1);
    size_t i = (size_t) pos;
    double frac = pos - (double) i;

    if (i + 1 >= n)
        return s[n - 1];
    return s[i] + frac * (s[i + 1] - s[i]);
}

void stats_summarize(const double *v, size_t n, struct stats_summary *ret)
{
    double *s = malloc(n * sizeof(*s));
    struct stats_summary r = {0};

    if (s) {
        memcpy(s, v, n * sizeof(*s));
        qsort(s, n, sizeof(*s), cmp_double);
        r = (struct stats_summary){.min = s[0], .p10 = percentile_sorted(s, n, 0.10),
                                   .median = percentile_sorted(s, n, 0.50),
                                   .p90 = percentile_sorted(s, n, 0.90), .max = s[n - 1]};
    }
    free(s);
    *ret = r;
}

double stats_median(const double *v, size_t n)
{
    struct stats_summary s;

    stats_summarize(v, n, &s);
    return s.median;
}

/* xorshift64*: a fixed, portable sequence, so the printed interval is reproducible. */
static uint64_t next_random(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545F4914F6CDD1DULL;
}

int stats_ratio_interval(const double *a, const double *b, size_t n, double *ret_lo,
                         double *ret_hi)
{
    double *ra = malloc(n * sizeof(*ra)), *rb = malloc(n * sizeof(*rb));
    double *ratios = malloc(BOOTSTRAP_ROUNDS * sizeof(*ratios));
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    int r = -ENOMEM;

    if (!ra || !rb || !ratios)
        goto out;
    for (size_t k = 0; k < BOOTSTRAP_ROUNDS; k++) {
        for (size_t i = 0; i < n; i++) {
            size_t j = (size_t) (next_random(&state) % n);
            ra[i] = a[j];
            rb[i] = b[j];
        }
        qsort(ra, n, sizeof(*ra), cmp_double);
        qsort(rb, n, sizeof(*rb), cmp_double);
        ratios[k] = percentile_sorted(ra, n, 0.5) / percentile_sorted(rb, n, 0.5);
    }
    qsort(ratios, BOOTSTRAP_ROUNDS, sizeof(*ratios), cmp_double);
    *ret_lo = percentile_sorted(ratios, BOOTSTRAP_ROUNDS, 0.025);
    *ret_hi = percentile_sorted(ratios, BOOTSTRAP_ROUNDS, 0.975);
    r = 0;
out:
    free(ratios);
    free(rb);
    free(ra);
    return r;
}

const char *stats_verdict(double lo, double hi, double limit)
{
    if (hi <= limit)
        return "met";
    if (lo > limit)
        return "NOT met";
    return "borderline (the interval straddles the limit)";
}
