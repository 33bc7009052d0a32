/// Where things are in a scene's picture: the mean of its frames' feature grids (``Embedding/grid``:
/// `side`×`side` cells of the network's last feature map), kept for the spatial check with 8 bits per
/// channel.
///
/// A scene is held until the clusters are formed at the end of the input, so its grid is most of what
/// memory grows by with length: 9 × 1280 floats (46 KB) a scene as Float, 11.5 KB as bytes. Each cell
/// is scaled by its largest channel (the features are ReLU6 outputs, never negative) and rounded; cosine
/// similarities of cells are computed exactly on the rounded values. Rounding moves a cell's cosine by
/// about 1e-4 on real frames, three orders below the grid threshold (0.22).
public struct FeatureGrid: Sendable, Equatable, Codable {
    public let side: Int
    public let channels: Int
    /// `side × side` cells of `channels` bytes, row-major.
    let cells: [UInt8]
    /// Each cell's Euclidean norm of its bytes.
    let norms: [Double]

    private enum CodingKeys: String, CodingKey { case side, channels, cells }

    /// Writes the cells (the norms follow from them).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(side, forKey: .side)
        try c.encode(channels, forKey: .channels)
        try c.encode(cells, forKey: .cells)
    }

    /// Reads a grid back as ``init(sum:side:)`` made it, refusing cells that are not `side² × channels` bytes.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let side = try c.decode(Int.self, forKey: .side), channels = try c.decode(Int.self, forKey: .channels)
        let cells = try c.decode([UInt8].self, forKey: .cells)
        guard side > 0, side <= 16, channels > 0, channels <= cells.count, side * side * channels == cells.count else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "grid cells do not match its size"))
        }
        self.side = side
        self.channels = channels
        self.cells = cells
        var norms = [Double](repeating: 0, count: side * side)
        for cell in 0..<side * side {
            var squares = 0
            for i in 0..<channels { squares += Int(cells[cell * channels + i]) * Int(cells[cell * channels + i]) }
            norms[cell] = Double(squares).squareRoot()
        }
        self.norms = norms
    }

    /// - Parameter sum: `side × side × channels` non-negative values (any scale per cell).
    public init(sum: [Double], side: Int) {
        let count = side * side, n = sum.count / count
        precondition(n * count == sum.count, "grid size is not side² × channels")
        self.side = side
        channels = n
        var cells = [UInt8](repeating: 0, count: sum.count)
        var norms = [Double](repeating: 0, count: count)
        for c in 0..<count {
            let largest = sum[c * n..<(c + 1) * n].max() ?? 0
            guard largest > 0 else { continue }
            var squares = 0
            for i in 0..<n {
                let q = Int((max(sum[c * n + i], 0) / largest * 255).rounded())
                cells[c * n + i] = UInt8(q)
                squares += q * q
            }
            norms[c] = Double(squares).squareRoot()
        }
        self.cells = cells
        self.norms = norms
    }

    /// Cosine similarity of cell `i` of this grid and cell `j` of `other` (0 when either is empty).
    public func cosine(cell i: Int, _ other: FeatureGrid, cell j: Int) -> Double {
        precondition(channels == other.channels, "grids of different networks")
        guard norms[i] > 0, other.norms[j] > 0 else { return 0 }
        let n = channels
        var sum = 0
        cells.withUnsafeBufferPointer { a in
            other.cells.withUnsafeBufferPointer { b in
                var s: UInt32 = 0
                for k in 0..<n { s &+= UInt32(a[i * n + k]) &* UInt32(b[j * n + k]) }
                sum = Int(s)
            }
        }
        return Double(sum) / (norms[i] * other.norms[j])
    }
}
