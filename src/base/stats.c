/*
 * stats.c: latency histograms (see stats.h).
 */
#include "config.h"

#include "stats.h"

const double rlb_latency_bounds[RLB_LATENCY_BUCKETS - 1] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 15, 60,
};

void
rlb_latency_add(struct rlb_latency *l, double seconds)
{
    unsigned i = 0;

    while (i < RLB_LATENCY_BUCKETS - 1 && seconds > rlb_latency_bounds[i])
        i++;
    l->buckets[i]++;
    l->count++;
    l->sum += seconds;
}

double
rlb_latency_quantile(const struct rlb_latency *l, double q)
{
    double want = q * (double)l->count, seen = 0;

    if (l->count == 0)
        return 0;
    for (unsigned i = 0; i < RLB_LATENCY_BUCKETS; i++) {
        double lo = i ? rlb_latency_bounds[i - 1] : 0;
        double hi = i < RLB_LATENCY_BUCKETS - 1 ? rlb_latency_bounds[i] : lo * 2;

        if (seen + (double)l->buckets[i] >= want && l->buckets[i]) {
            /* linear inside the bucket */
            return lo + (hi - lo) * ((want - seen) / (double)l->buckets[i]);
        }
        seen += (double)l->buckets[i];
    }
    return rlb_latency_bounds[RLB_LATENCY_BUCKETS - 2];
}
