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
        // A stateful LSTM carries its state from one predict call to the next; an ONNX graph keeps nothing between runs.
        dlkit.model.Model m = dlkit.model.Sequential.of(dlkit.layers.Input.of(4, 2), dlkit.layers.recurrent.LSTM.of(3).stateful(true).named("enc"));
        m.initialize(1);
        Path in = dir.resolve("stateful.dlk");
        m.save(in);
        Path out = dir.resolve("states.onnx");
        DlCommandTest.assertBadIn(dir, "(name \"enc\", type LSTM): stateful (state carried from one batch to the next", "convert", in.toString(), out.toString());
        assertFalse(Files.exists(out), "no file written");
        assertTrue(Files.list(dir).noneMatch(p -> p.getFileName().toString().contains("states.onnx")), "no temp file left");
    }

    @Test
    void returnStateAndInitialStatesConvert() throws Exception {
        // Keras' lstm_states: an LSTM started from h0 and c0 inputs, with its final states as outputs (values checked
        // against Keras' in the onnx module's KerasFilesThroughOnnxTest).
        Path out = dir.resolve("states.onnx");
        DlCommandTest.Out o = DlCommandTest.dlIn(dir, "convert", KerasCommandTest.FIXTURES.resolve("lstm_states/model.keras").toString(), out.toString());
        assertEquals(0, o.code(), o.stderr());
        Onnx.ModelProto m = Onnx.ModelProto.parseFrom(Files.readAllBytes(out));
        assertEquals(java.util.List.of("seq", "h0", "c0"), m.getGraph().getInputList().stream().map(Onnx.ValueInfoProto::getName).toList());
        assertTrue(m.getGraph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("LSTM") && n.getInputCount() == 7), "LSTM with initial_h and initial_c");
    }
}
