# Writes the NumPy golden files of NpyTest (run with Debian's python3 + numpy: /usr/bin/python3 make_golden.py).
# np.savez(file, images, labels) is how ADM's sample scripts save images + labels; np.save writes the .npy.
import numpy as np

images = (np.arange(2 * 3 * 4 * 3) * 7 % 256).astype(np.uint8).reshape(2, 3, 4, 3)
labels = np.array([7, 2], dtype=np.int64)
tokens = (np.arange(2 * 2 * 3) * 13 - 5).astype(np.int32).reshape(2, 2, 3)
np.savez("golden.npz", images, labels)
np.save("golden_tokens.npy", tokens)
