package dlkit.cli;

import dlkit.ConfigException;
import dlkit.files.InputFiles;
import dlkit.serve.ModelServer;
import dlkit.tensor.Native;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sun.misc.Signal;

@Command(name = "serve", mixinStandardHelpOptions = true, description = {
        "Serve models over HTTP: the Open Inference Protocol (KServe v2 REST: /v2/models/NAME/infer) and TensorFlow Serving's REST predict"
                + " (/v1/models/NAME:predict), with Prometheus metrics at /metrics.",
        "Concurrent requests for a model are batched into one predict. A directory serves each .dlk and .keras file in it under its file name"
                + " without the extension; a replaced file is reloaded (a corrupt one leaves the old model serving), a removed one stops being served.",
        "SIGTERM or SIGINT stops gracefully: no new requests, those received are answered, exit 0."})
final class ServeCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL_OR_DIR", description = "A .dlk or .keras file, or a directory of them.")
    Path source;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default ${DEFAULT-VALUE}; 0.0.0.0 for every interface).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port (default ${DEFAULT-VALUE}; 0 picks a free one, printed at start).")
    int port;

    @Option(names = "--max-batch", defaultValue = "64", description = "Most rows run as one batch (default ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--max-delay-ms", defaultValue = "2", description = {"Longest a request waits for others to share its batch (default ${DEFAULT-VALUE});",
            "only while other requests are arriving: a lone request runs at once."})
    double maxDelayMs;

    @Option(names = "--threads", description = "BLAS/OpenMP threads for the models' arithmetic (default: dl's setting, see README).")
    Integer threads;

    @Option(names = "--token-file", paramLabel = "FILE", description = "Require 'Authorization: Bearer TOKEN' (the file's first line) on every request but the health checks.")
    Path tokenFile;

    @Option(names = "--max-request-bytes", defaultValue = "67108864", description = "Largest request body; larger ones get 413 (default ${DEFAULT-VALUE}).")
    long maxRequestBytes;

    @Override
    public Integer call() throws Exception {
        String token = null;
        if (tokenFile != null) {
            String text = InputFiles.readString(tokenFile, 4096, "token file").strip();
            token = text.lines().findFirst().orElse("").strip();
            if (token.isEmpty()) {
                throw new ConfigException("--token-file", tokenFile + ": empty; expected the token on its first line");
            }
        }
        if (threads != null) {
            if (threads < 1) {
                throw new ConfigException("--threads", "expected at least 1, got " + threads);
            }
            Native.setBlasThreads(threads);
        }
        CountDownLatch stop = new CountDownLatch(1);
        // Exit 0 after a graceful stop: the JVM's own SIGTERM handling would exit 143 from a shutdown hook.
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        ModelServer server = ModelServer.builder(source).host(host).port(port).maxBatch(maxBatch).maxDelayMillis(maxDelayMs).token(token)
                .maxRequestBytes(maxRequestBytes).loader(file -> ModelFiles.read(file, null)).start();
        System.err.println("dl serve: " + source + " on http://" + host + ":" + server.port() + " (max batch " + maxBatch + ", max delay "
                + maxDelayMs + " ms" + (token == null ? "" : ", bearer token required") + ")");
        stop.await();
        System.err.println("dl serve: stopping: answering the requests in flight");
        server.stop();
        System.err.println("dl serve: stopped");
        return 0;
    }
}
