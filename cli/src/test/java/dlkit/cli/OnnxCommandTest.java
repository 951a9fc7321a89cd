package dlkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import onnx.Onnx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dl convert to ONNX: a standard model file with the model's names, or exit 2 naming the layer it cannot express. */
class OnnxCommandTest {
    @TempDir
    Path dir;

    @Test
    void convertWritesAnOnnxModelWithTheModelsNames() throws Exception {
        Path out = dir.resolve("functional.onnx");
        DlCommandTest.Out o = DlCommandTest.dlIn(dir, "convert", KerasCommandTest.FIXTURES.resolve("functional/model.keras").toString(), out.toString());
        assertEquals(0, o.code(), o.stderr());
        Onnx.ModelProto m = Onnx.ModelProto.parseFrom(Files.readAllBytes(out));
        assertEquals(17, m.getOpsetImport(0).getVersion());
        assertEquals("", m.getOpsetImport(0).getDomain());
        assertEquals(java.util.List.of("a", "b"), m.getGraph().getInputList().stream().map(Onnx.ValueInfoProto::getName).toList());
        assertEquals(java.util.List.of("probs", "score"), m.getGraph().getOutputList().stream().map(Onnx.ValueInfoProto::getName).toList());
        assertEquals("batch", m.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam());
    }

    @Test
    void aLayerOnnxCannotExpressExitsTwoAndWritesNothing() throws Exception {
        // An LSTM with return_state and initial states given as inputs.
        Path out = dir.resolve("states.onnx");
        DlCommandTest.assertBadIn(dir, "(name \"enc\", type LSTM): return_state cannot be exported to ONNX yet", "convert",
                KerasCommandTest.FIXTURES.resolve("lstm_states/model.keras").toString(), out.toString());
        assertFalse(Files.exists(out), "no file written");
        assertTrue(Files.list(dir).noneMatch(p -> p.getFileName().toString().contains("states.onnx")), "no temp file left");
    }
}
