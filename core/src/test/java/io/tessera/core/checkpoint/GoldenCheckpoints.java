package io.tessera.core.checkpoint;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The committed generator of the golden checkpoint files under {@code src/test/resources/golden/}:
 * a tiny safetensors file and a tiny {@code .pt} file, stored as hex (16 bytes a line) so diffs are
 * readable. {@link GoldenCheckpointsTest} fails when the writers' output drifts from these bytes.
 * Regenerate only for an intended format change:
 * {@code java -cp core/target/classes:core/target/test-classes io.tessera.core.checkpoint.GoldenCheckpoints core/src/test/resources/golden}
 */
public final class GoldenCheckpoints {
    static final String SAFETENSORS = "tiny.safetensors.hex";
    static final String PT = "tiny.pt.hex";

    private GoldenCheckpoints() {
    }

    /** norm.weight F32 [2] = {1, -2.5}; tok.weight BF16 [2,1] = {1, -2}; ids I64 [1] = {-7}. */
    static Map<String, Tensor> tensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("norm.weight", Tensor.ofFloats("norm.weight", new long[] {2}, new float[] {1f, -2.5f}));
        MemorySegment bf16 = MemorySegment.ofArray(new byte[4]);
        bf16.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, (short) 0x3f80);
        bf16.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 1, (short) 0xc000);
        m.put("tok.weight", new Tensor("tok.weight", DType.BF16, new long[] {2, 1}, bf16));
        MemorySegment i64 = MemorySegment.ofArray(new byte[8]);
        i64.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, -7L);
        m.put("ids", new Tensor("ids", DType.I64, new long[] {1}, i64));
        return m;
    }

    static Map<String, String> metadata() {
        return Map.of("format", "pt");
    }

    static byte[] safetensorsBytes(Path scratch) throws IOException {
        Path f = scratch.resolve("tiny.safetensors");
        SafetensorsWriter.write(f, tensors(), metadata());
        return Files.readAllBytes(f);
    }

    static byte[] ptBytes(Path scratch) throws IOException {
        Path f = scratch.resolve("tiny.pt");
        PtWriter.write(f, tensors(), PtWriter.Options.ddp().withExtra("steps", 3).withArgs(Map.of("gpt_model", "GPT-B")));
        return Files.readAllBytes(f);
    }

    static String toHex(byte[] bytes) {
        StringBuilder b = new StringBuilder();
        HexFormat hex = HexFormat.of();
        for (int i = 0; i < bytes.length; i += 16) {
            b.append(hex.formatHex(bytes, i, Math.min(bytes.length, i + 16))).append('\n');
        }
        return b.toString();
    }

    static byte[] fromHex(String text) {
        return HexFormat.of().parseHex(text.replaceAll("\\s+", ""));
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "src/test/resources/golden");
        Files.createDirectories(out);
        Path scratch = Files.createTempDirectory("golden");
        try {
            Files.writeString(out.resolve(SAFETENSORS), toHex(safetensorsBytes(scratch)));
            Files.writeString(out.resolve(PT), toHex(ptBytes(scratch)));
        } finally {
            try (var files = Files.list(scratch)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(scratch);
        }
        System.out.println("wrote " + out.resolve(SAFETENSORS) + " and " + out.resolve(PT));
    }
}
