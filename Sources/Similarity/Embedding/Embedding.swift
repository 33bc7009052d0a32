import Foundation

/// Which EfficientNet-Lite network: the same architecture at three widths, depths and input sizes.
///
/// Lite0: 224 px, 16 blocks (4.7 M parameters). Lite1: 240 px, 21 blocks. Lite2: 260 px, 21 blocks, wider.
/// In all three the stem (32 channels) and head (1280 channels) are not scaled, nor are the first and last
/// stages repeated more, as in TensorFlow's `efficientnet_lite_builder`; the actual widths and depths are
/// read from the weight file.
public enum EfficientNetVariant: String, Sendable, CaseIterable {
    case lite0, lite1, lite2

    /// The square input size in pixels: 224, 240 or 260.
    public var inputSize: Int {
        switch self {
        case .lite0: 224
        case .lite1: 240
        case .lite2: 260
        }
    }

    /// The file name `scripts/fetch-model.py` writes: `efficientnet-lite0.safetensors` etc.
    public var fileName: String { "efficientnet-\(rawValue).safetensors" }

    /// Where the model is looked for when no path is given: `$FRAMEDEDUPE_MODEL` if set (for
    /// ``lite0`` only), else `${XDG_DATA_HOME:-$HOME/.local/share}/framededupe/models/` + ``fileName``.
    ///
    /// This is where `python3 scripts/fetch-model.py` (with `--variant` for lite1/lite2) writes it.
    /// - Parameter environment: The process environment (a parameter for tests).
    /// - Returns: A file URL, which may not exist.
    public func defaultModelLocation(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if self == .lite0, let path = environment["FRAMEDEDUPE_MODEL"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let data: URL
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            data = URL(fileURLWithPath: xdg, isDirectory: true)
        } else {
            let home = environment["HOME"].map { URL(fileURLWithPath: $0, isDirectory: true) }
                ?? FileManager.default.homeDirectoryForCurrentUser
            data = home.appendingPathComponent(".local/share", isDirectory: true)
        }
        return data.appendingPathComponent("framededupe/models/\(fileName)")
    }
}

/// A problem loading the network's weights.
public enum EmbeddingModelError: Error, Equatable, CustomStringConvertible {
    /// No file at the path: the set-up step has not been run.
    case missing(path: String, variant: EfficientNetVariant)
    /// The file is not a valid safetensors file.
    case unreadable(SafeTensorsError)
    /// The file is valid but its tensors do not make an EfficientNet-Lite network of this variant.
    case incompatible(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path, let variant):
            let option = variant == .lite0 ? "" : " --variant \(variant.rawValue)"
            return "no EfficientNet-\(variant.rawValue) weights at \(path); run `python3 scripts/fetch-model.py\(option)` "
                + "(it downloads and converts them), or give the path with --model or $FRAMEDEDUPE_MODEL"
        case .unreadable(let error):
            return "\(error); run `python3 scripts/fetch-model.py` to write it again"
        case .incompatible(let path, let reason):
            return "\(path): not EfficientNet-Lite weights of the expected variant: \(reason)"
        }
    }
}

/// What the network says about one image: a global descriptor and a coarse spatial one.
///
/// Both come from the head's output (1×1 convolution to 1280 channels, BN-folded, ReLU6), the last feature
/// map (7×7 for Lite0):
/// - ``vector``: its global average, L2-normalised — 1280 floats. Compare with ``cosineDistance(to:)``.
/// - ``grid``: its average over a 3×3 grid of cells (bounds as PyTorch's `AdaptiveAvgPool2d`: cell `i` of an
///   axis of `n` covers `floor(i·n/3) ..< ceil((i+1)·n/3)`, so 7 → rows 0–2, 2–4, 4–6, overlapping), cells
///   row-major from the top left, each cell's 1280 values L2-normalised: `grid[(row·3 + column)·1280 + c]`.
///   For the spatial check clustering needs: the same content in another place moves between cells.
public struct Embedding: Sendable, Equatable, Codable {
    /// The number of cells along each side of ``grid``.
    public static let gridSide = 3

    /// The global descriptor, L2-normalised (a zero feature map gives zeros).
    public var vector: [Float]
    /// `gridSide × gridSide` cells of `vector.count` floats each, row-major, each cell L2-normalised.
    public var grid: [Float]

    private enum CodingKeys: String, CodingKey { case vector, grid }

    /// Reads an embedding back, refusing one whose grid is not 3×3 cells of the vector's size.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let vector = try c.decode([Float].self, forKey: .vector), grid = try c.decode([Float].self, forKey: .grid)
        guard !vector.isEmpty, grid.count == Self.gridSide * Self.gridSide * vector.count else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "grid must hold 3×3 cells of the vector's size"))
        }
        self.init(vector: vector, grid: grid)
    }

    public init(vector: [Float], grid: [Float]) {
        precondition(grid.count == Self.gridSide * Self.gridSide * vector.count, "grid must hold 3×3 cells of the vector's size")
        self.vector = vector
        self.grid = grid
    }

    /// Cosine distance between the global descriptors, `1 − cos`, in [0, 2] (0: same direction).
    ///
    /// Both vectors are unit length, so this is `1 − dot product`, accumulated in `Double`.
    public func cosineDistance(to other: Embedding) -> Float {
        Float(1 - Self.dot(vector[...], other.vector[...]))
    }

    /// Cosine distance between corresponding grid cells, `1 − cos` per cell, row-major (9 values).
    public func cellDistances(to other: Embedding) -> [Float] {
        precondition(grid.count == other.grid.count, "embeddings of different sizes")
        let n = vector.count
        return (0..<Self.gridSide * Self.gridSide).map { cell in
            Float(1 - Self.dot(grid[cell * n..<(cell + 1) * n], other.grid[cell * n..<(cell + 1) * n]))
        }
    }

    private static func dot(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        precondition(a.count == b.count, "embeddings of different sizes")
        var sum = 0.0
        for (x, y) in zip(a, b) { sum += Double(x) * Double(y) }
        return sum
    }
}
