/// Owns float allocations and frees them with itself.
final class FloatAllocations {
    private var pointers: [UnsafeMutablePointer<Float>] = []
    /// Floats allocated so far.
    private(set) var count = 0

    func make(_ values: [Float]) -> UnsafeMutablePointer<Float> {
        let p = make(count: values.count)
        p.update(from: values, count: values.count)
        return p
    }

    func make(count: Int) -> UnsafeMutablePointer<Float> {
        // 64-byte aligned so vector loads and OpenBLAS see cache-line-aligned rows.
        self.count += max(count, 1)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        let p = raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
        pointers.append(p)
        return p
    }

    deinit {
        for p in pointers { UnsafeMutableRawPointer(p).deallocate() }
    }
}

/// Activation buffers for batches of up to `capacity` images.
final class Workspace {
    let capacity: Int
    private let store = FloatAllocations()
    /// The outputs of the blocks from the last one run image by image on, for the whole batch.
    let activations: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)
    /// The outputs of the blocks before it, for one image at a time (see ``EfficientNetLite/leadingImageBlocks(batch:)``).
    let image: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)
    let expanded: UnsafeMutablePointer<Float>
    let depthwise: UnsafeMutablePointer<Float>
    let ring: UnsafeMutablePointer<Float>
    /// The input row each slot of the depthwise ring holds.
    let held: UnsafeMutablePointer<Int>
    let columns: UnsafeMutablePointer<Float>
    let head: UnsafeMutablePointer<Float>
    /// `capacity × features`: global averages, not normalised.
    let pooled: UnsafeMutablePointer<Float>
    /// `capacity × cells × features`: grid cell averages (sums until normalised; the scale cancels).
    let cells: UnsafeMutablePointer<Float>

    /// Bytes of its buffers.
    var byteCount: Int { store.count * MemoryLayout<Float>.size }

    init(
        capacity: Int, activations: Int, image: Int, expanded: Int, depthwise: Int, ring: Int, kernel: Int, columns: Int, head: Int,
        features: Int, cells: Int
    ) {
        self.capacity = capacity
        self.held = .allocate(capacity: kernel)
        self.activations = (store.make(count: activations), store.make(count: activations))
        self.image = (store.make(count: image), store.make(count: image))
        self.expanded = store.make(count: expanded)
        self.depthwise = store.make(count: depthwise)
        self.ring = store.make(count: ring)
        self.columns = store.make(count: columns)
        self.head = store.make(count: head)
        self.pooled = store.make(count: capacity * features)
        self.cells = store.make(count: capacity * cells * features)
    }

    deinit { held.deallocate() }
}

extension EfficientNetLite {
    /// The workspace of share `part` for `n` images, reallocated only when `n` exceeds every share seen before.
    func workspace(for n: Int, part: Int) -> Workspace {
        while workspaces.count <= part { workspaces.append(nil) }
        if let workspace = workspaces[part], workspace.capacity >= n { return workspace }
        workspaces[part] = nil  // freed before the larger one is made: never both at once
        let created = makeWorkspace(for: n)
        workspaces[part] = created
        return created
    }

    /// Bytes of the buffers a batch of `n` images runs on.
    @_spi(Testing) public func workspaceBytes(batch n: Int) -> Int { makeWorkspace(for: n).byteCount }

    /// A new workspace for batches of up to `n` images. Reads nothing of `self` that changes (an ``EmbeddingLane``
    /// makes its own on another thread).
    func makeWorkspace(for n: Int) -> Workspace {
        let g = stem.geometry
        var activations = 0, image = 0, expanded = 0, depthwise = 0, ring = 0, kernel = 1, columns = 0
        let leading = leadingImageBlocks(batch: n)
        for block in blocks {
            let d = block.depthwise.geometry
            let mid = block.depthwise.channels
            let m = block.chunk(batch: n, minimumRows: minimumGEMMRows)
            if block.index < leading - 1 {
                image = max(image, block.outputCount)
            } else {
                activations = max(activations, n * block.outputCount)
            }
            if m == 1 {
                let strip = block.stripRows(pixels: stripPixels)
                let capacity = block.expandedRowCapacity(stripRows: strip)
                expanded = max(expanded, capacity * d.inputWidth * mid)
                depthwise = max(depthwise, strip * d.outputWidth * mid)
                if block.expand == nil { columns = capacity * g.outputWidth * stem.columns }
            } else {
                expanded = max(expanded, d.inputHeight * d.inputWidth * mid)  // expanded one image at a time
                depthwise = max(depthwise, m * d.outputHeight * d.outputWidth * mid)
            }
            ring = max(ring, depthwiseScratchCount(channels: mid, geometry: d))
            kernel = max(kernel, d.kernel)
        }
        return Workspace(
            capacity: n, activations: activations, image: image, expanded: expanded, depthwise: depthwise, ring: ring, kernel: kernel,
            columns: max(columns, g.outputHeight * g.outputWidth * stem.columns), head: n * featureHeight * featureWidth * head.outputs,
            features: head.outputs, cells: Embedding.gridSide * Embedding.gridSide)
    }
}
