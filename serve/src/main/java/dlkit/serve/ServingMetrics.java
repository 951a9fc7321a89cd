package dlkit.serve;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Supplier;

/**
 * The server's Prometheus metrics (prometheus-metrics-core; text format 0.0.4): requests and errors per model and
 * endpoint, request latency, batch sizes and queue depth per model. A request for a model that is not served counts
 * under {@code model=""}, so hostile names cannot grow the label set.
 */
final class ServingMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests = Counter.builder().name("dlkit_requests_total").help("Requests answered, by model and endpoint")
            .labelNames("model", "endpoint").register(registry);
    private final Counter errors = Counter.builder().name("dlkit_request_errors_total").help("Requests answered with an error status")
            .labelNames("model", "endpoint", "code").register(registry);
    private final Histogram latency = Histogram.builder().name("dlkit_request_duration_seconds")
            .help("Time from the request's arrival to its answer").labelNames("model", "endpoint").classicOnly()
            .classicUpperBounds(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5).register(registry);
    private final Histogram batchSize;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    ServingMetrics(int maxBatch, Supplier<Iterable<ServedModel>> models) {
        int buckets = 1;
        while ((1 << buckets) <= maxBatch) {
            buckets++;
        }
        double[] bounds = new double[buckets];
        for (int i = 0; i < buckets; i++) {
            bounds[i] = 1 << i;
        }
        batchSize = Histogram.builder().name("dlkit_batch_size").help("Rows per predictor run").labelNames("model").classicOnly()
                .classicUpperBounds(bounds).register(registry);
        GaugeWithCallback.builder().name("dlkit_queue_depth").help("Requests queued for a model's batcher").labelNames("model")
                .callback(cb -> models.get().forEach(m -> cb.call(m.queueDepth(), m.name()))).register(registry);
    }

    void answered(String model, String endpoint, int status, long startNanos) {
        requests.labelValues(model, endpoint).inc();
        if (status >= 400) {
            errors.labelValues(model, endpoint, Integer.toString(status)).inc();
        }
        latency.labelValues(model, endpoint).observe((System.nanoTime() - startNanos) / 1e9);
    }

    void batch(String model, int rows) {
        batchSize.labelValues(model).observe(rows);
    }

    String contentType() {
        return writer.getContentType();
    }

    byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
