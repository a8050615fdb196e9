// Small IDX files (MNIST's format) of a separable 3-class problem, for the page's own-files flow.

/** An IDX file (MNIST's format): magic 0x0000_08_rank, big-endian dims, then the bytes. */
export function idx(dims, data) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x0800 + dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

// n images of rows × cols (not square, not 28 × 28): noise plus a bright 4 × 4 block whose
// place depends on the class (3 classes).
export function blocks(n, seed, rows = 12, cols = 20) {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const size = rows * cols;
  const pixels = new Uint8Array(n * size);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels[i] = c;
    for (let p = 0; p < size; p++) pixels[i * size + p] = Math.floor(rand() * 60);
    for (let r = 0; r < 4; r++) for (let k = 0; k < 4; k++) pixels[i * size + (1 + 3 * c + r) * cols + 2 + 6 * c + k] = 255;
  }
  return { images: idx([n, rows, cols], pixels), labels: idx([n], labels) };
}
