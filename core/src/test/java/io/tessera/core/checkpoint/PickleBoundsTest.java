package io.tessera.core.checkpoint;

import static io.tessera.core.checkpoint.Fixtures.assertOneLine;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue #16 family 1: tiny hostile .pt files are refused with one line naming the file, in bounded time and memory. */
class PickleBoundsTest {
    @TempDir
    Path dir;

    @Test
    void selfReferencingContainersAreRefused() {
        Path list = HostileFiles.selfReferencingList(dir);
        assertOneLine(() -> Checkpoints.open(list), "self-list.pt", "contains itself");
        Path key = HostileFiles.selfReferencingKey(dir);
        assertOneLine(() -> Checkpoints.open(key), "self-key.pt", "unhashable dict key");
    }

    @Test
    void nestingDepthIsBounded() {
        Path deep = HostileFiles.deeplyNested(dir, 200_000);
        assertOneLine(() -> Checkpoints.open(deep), "deep.pt", "nests containers more than " + TorchUnpickler.MAX_DEPTH + " deep");
        Path tuples = HostileFiles.deeplyNestedTuple(dir, 200_000);
        assertOneLine(() -> Checkpoints.open(tuples), "deep-tuple.pt", "more than " + TorchUnpickler.MAX_DEPTH + " deep");
        // Just under the bound is fine (the top-level dict and "model" list are two of the levels).
        Path ok = HostileFiles.deeplyNested(dir, TorchUnpickler.MAX_DEPTH - 2);
        assertOneLine(() -> Checkpoints.open(ok), "deep.pt", "entry 'model' is a ArrayList, expected a state dict");
    }

    @Test
    void integerDigitsAreBoundedBeforeParsing() {
        // Millions of digits would take minutes in BigInteger's quadratic parser; refused at once.
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Path i = HostileFiles.hugeTextInteger(dir, 3_000_000, false);
            assertOneLine(() -> Checkpoints.open(i), "int-3000000.pt", "integer of 3000000 decimal digits");
            Path l = HostileFiles.hugeTextInteger(dir, 3_000_000, true);
            assertOneLine(() -> Checkpoints.open(l), "long-3000000.pt", "integer of 3000000 decimal digits");
        });
        Path b = HostileFiles.hugeBinaryInteger(dir, 1 << 20);
        assertOneLine(() -> Checkpoints.open(b), "long4.pt", "1048576-byte integer");
        // At the bound the integer is read (and then the file fails for the ordinary reason).
        Path ok = HostileFiles.hugeTextInteger(dir, TorchUnpickler.MAX_DIGITS, true);
        assertOneLine(() -> Checkpoints.open(ok), "state dict '<root>' holds no tensors");
    }

    @Test
    void memoSizeIsBounded() {
        Path f = HostileFiles.memoFlood(dir, TorchUnpickler.MAX_MEMO + 1);
        assertOneLine(() -> Checkpoints.open(f), "memo.pt", "memoises more than " + TorchUnpickler.MAX_MEMO);
    }

    @Test
    void overlappingViewsAreRefusedBeforeMaterialising() {
        // Four 2^28-element stride-0 views of one 8-byte storage: 4 GiB if copied.
        Path f = HostileFiles.strideZeroViews(dir, 4, 28);
        assertOneLine(() -> Checkpoints.open(f), "stride0.pt", "tensor 'w0'", "overlaps itself", "storage '0'");
        // A stride-0 view no larger than its storage is an ordinary (if odd) view.
        Path small = HostileFiles.strideZeroViews(dir, 1, 1);
        try (Checkpoint c = Checkpoints.open(small)) {
            assertArrayEquals(new float[] {1, 1}, c.get("w0").toFloatArray());
        }
    }

    @Test
    void copiesOfNonContiguousViewsNeverExceedTheFileSize() {
        // Each transposed view is legal, but 400 of them would copy ~400x the file.
        Path f = HostileFiles.manyTransposedViews(dir, 400, 256);
        assertOneLine(() -> Checkpoints.open(f), "transposed.pt", "would copy more bytes than the file holds");
        Path ok = HostileFiles.manyTransposedViews(dir, 1, 3);
        try (Checkpoint c = Checkpoints.open(ok)) {
            assertEquals(9, c.get("w0").numel());
        }
    }
}
