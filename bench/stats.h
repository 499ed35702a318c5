/* stats.h: summaries of timing samples for the benchmarks: percentiles and a paired bootstrap
 * interval for a ratio of medians. Samples are seconds; nothing here prints. */
#pragma once
#include <stddef.h>

struct stats_summary {
    double min, p10, median, p90, max;
};

/* Summarizes v[0..n) (n >= 1; v is not modified); percentiles interpolate linearly. */
void stats_summarize(const double *v, size_t n, struct stats_summary *ret);

/* Median of v[0..n) (n >= 1). */
double stats_median(const double *v, size_t n);

/* 95% interval of median(a) / median(b), where a[i] and b[i] were measured in the same round:
 * rounds are resampled together (paired bootstrap, fixed seed, so a given data set always
 * gives the same interval). Returns 0, or -ENOMEM. */
int stats_ratio_interval(const double *a, const double *b, size_t n, double *ret_lo,
                         double *ret_hi);

/* "met", "NOT met" or "borderline" for a ratio whose 95% interval is [lo, hi] against an
 * upper limit: only an interval entirely on one side of the limit decides. */
const char *stats_verdict(double lo, double hi, double limit);
