import Foundation
import Pixels
@_spi(Testing) import Similarity
import Testing
import _FrameDedupeTestSupport

// MARK: - Fixtures (shared with HashTests.swift)

/// The photographs, their distorted versions and the golden values written by `scripts/ssim-golden.py`.
struct SSIMFixtures {
    /// One SSIM golden: skimage's value for `a` and `b`, each optionally cropped to `[x, y, width, height]` first.
    struct Pair: Decodable {
        var a: String
        var b: String
        var rectA: [Int]?
        var rectB: [Int]?
        var ssim: Double

        var label: String {
            "\(a)\(rectA.map { " \($0)" } ?? "") vs \(b)\(rectB.map { " \($0)" } ?? "")"
        }
    }

    /// One hash golden, as 16 hex digits each.
    struct Hash: Decodable {
        var image: String
        var perceptual: String
        var difference: String
    }

    struct Golden: Decodable {
        var comment: String
        var ssim: [Pair]
        var hashes: [Hash]
    }

    var golden: Golden
    var images: [String: LumaImage]

    static func load() throws -> SSIMFixtures {
        let directory = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
            .appendingPathComponent("ssim")
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: directory.appendingPathComponent("golden.json")))
        var images: [String: LumaImage] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".pgm") {
            images[name] = try readPGM(Data(contentsOf: directory.appendingPathComponent(name)))
        }
        return SSIMFixtures(golden: golden, images: images)
    }

    func image(_ name: String, _ rect: [Int]?) throws -> LumaImage {
        let image = try #require(images[name], "missing fixture \(name)")
        guard let rect else { return image }
        return crop(image, x: rect[0], y: rect[1], width: rect[2], height: rect[3])
    }

    func pair(_ pair: Pair) throws -> (LumaImage, LumaImage) {
        (try image(pair.a, pair.rectA), try image(pair.b, pair.rectB))
    }
}

struct PGMError: Error, CustomStringConvertible {
    var description: String
}

/// Parses a binary 8-bit PGM (P5, maxval 255; `#` comments allowed in the header).
func readPGM(_ data: Data) throws -> LumaImage {
    let bytes = [UInt8](data)
    var index = 0
    func token() throws -> String {
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "#") {
                while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
            } else if [UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t")].contains(bytes[index]) {
                index += 1
            } else {
                break
            }
        }
        let start = index
        while index < bytes.count && !(bytes[index] == 0x20 || (0x09...0x0D).contains(bytes[index])) { index += 1 }
        guard start < index else { throw PGMError(description: "truncated PGM header") }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }
    guard try token() == "P5" else { throw PGMError(description: "not a binary PGM") }
    guard let width = Int(try token()), let height = Int(try token()), let maxValue = Int(try token()),
        width > 0, height > 0, maxValue == 255
    else { throw PGMError(description: "unsupported PGM header") }
    index += 1  // the single whitespace byte after maxval
    guard bytes.count - index == width * height else { throw PGMError(description: "PGM size does not match header") }
    return LumaImage(width: width, height: height, pixels: Array(bytes[index...]))
}

func crop(_ image: LumaImage, x: Int, y: Int, width: Int, height: Int) -> LumaImage {
    precondition(x >= 0 && y >= 0 && x + width <= image.width && y + height <= image.height)
    var pixels: [UInt8] = []
    pixels.reserveCapacity(width * height)
    for row in y..<(y + height) {
        pixels += image.pixels[(row * image.width + x)..<(row * image.width + x + width)]
    }
    return LumaImage(width: width, height: height, pixels: pixels)
}

/// A deterministic pseudo-random picture (SplitMix64), for sizes and contents the photographs do not cover.
func noisePicture(width: Int, height: Int, seed: UInt64, range: ClosedRange<Int> = 0...255) -> LumaImage {
    var state = seed
    var pixels = [UInt8](repeating: 0, count: width * height)
    for i in pixels.indices {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        pixels[i] = UInt8(range.lowerBound + Int(z % UInt64(range.count)))
    }
    return LumaImage(width: width, height: height, pixels: pixels)
}

func picture(width: Int, height: Int, _ value: (Int, Int) -> Int) -> LumaImage {
    var pixels: [UInt8] = []
    pixels.reserveCapacity(width * height)
    for y in 0..<height {
        for x in 0..<width { pixels.append(UInt8(clamping: value(x, y))) }
    }
    return LumaImage(width: width, height: height, pixels: pixels)
}

// MARK: - SSIM

@Suite("Structural similarity", .temporaryFolders)
struct SSIMTests {
    /// Budget of the Float kernel against scikit-image (Float64 throughout) on the golden pairs.
    static let goldenTolerance = 1e-4
    /// Budget of the Float kernel against the Double direct-summation reference.
    static let referenceTolerance = 1e-5
    /// Budget of the Double reference against scikit-image: both Double, only summation order differs.
    static let referenceGoldenTolerance = 1e-9

    @Test("golden file is the generated one and covers the cases")
    func goldenFile() throws {
        let fixtures = try SSIMFixtures.load()
        #expect(fixtures.golden.comment == "generated by scripts/ssim-golden.py, do not edit")
        #expect(fixtures.images.count == 20)
        #expect(fixtures.golden.ssim.count >= 40)
        // Odd sizes and the 11x11 minimum are among the pairs.
        #expect(fixtures.golden.ssim.contains { $0.rectA?[2] == 11 && $0.rectA?[3] == 11 })
        #expect(fixtures.golden.ssim.contains { ($0.rectA?[2] ?? 0) % 2 == 1 && ($0.rectA?[3] ?? 0) % 2 == 1 })
    }

    @Test("fast kernel matches scikit-image within 1e-4 on every golden pair")
    func matchesScikitImage() throws {
        let fixtures = try SSIMFixtures.load()
        let ssim = StructuralSimilarity()
        var worst = 0.0
        for pair in fixtures.golden.ssim {
            let (a, b) = try fixtures.pair(pair)
            let value = ssim.similarity(a, b)
            let error = abs(value - pair.ssim)
            worst = max(worst, error)
            #expect(error <= Self.goldenTolerance, "\(pair.label): \(value) vs skimage \(pair.ssim)")
        }
        #expect(worst <= Self.goldenTolerance)
    }

    @Test("Double reference matches scikit-image within 1e-9 on the smaller golden pairs")
    func referenceMatchesScikitImage() throws {
        let fixtures = try SSIMFixtures.load()
        // The direct 121-tap reference is slow in debug builds: the cropped pairs and one whole photograph suffice.
        let pairs = fixtures.golden.ssim.filter { ($0.rectA?[2] ?? 0) < 100 || $0.b == "chelsea-jpeg.pgm" }
        #expect(pairs.count >= 9)
        for pair in pairs {
            let (a, b) = try fixtures.pair(pair)
            let value = StructuralSimilarity.referenceSimilarity(a, b)
            #expect(abs(value - pair.ssim) <= Self.referenceGoldenTolerance, "\(pair.label): \(value) vs skimage \(pair.ssim)")
        }
    }

    @Test("fast kernel matches the Double reference within 1e-5")
    func matchesReference() throws {
        let fixtures = try SSIMFixtures.load()
        var cases: [(String, LumaImage, LumaImage)] = []
        for pair in fixtures.golden.ssim where pair.rectA != nil && pair.rectA![2] < 100 {
            let (a, b) = try fixtures.pair(pair)
            cases.append((pair.label, a, b))
        }
        // Adversarial contents for Float accumulation: full-range noise, a 0/255 checkerboard (largest variances),
        // flat pictures (variances that must cancel to zero), and a constant against noise.
        for (width, height) in [(11, 11), (12, 11), (18, 19), (19, 40), (26, 13), (27, 27), (64, 23)] {
            let seed = UInt64(width * 1000 + height)
            cases.append(("noise \(width)x\(height)", noisePicture(width: width, height: height, seed: seed),
                          noisePicture(width: width, height: height, seed: seed + 1)))
            let board = picture(width: width, height: height) { x, y in (x + y) % 2 == 0 ? 255 : 0 }
            cases.append(("checkerboard vs noise \(width)x\(height)", board, noisePicture(width: width, height: height, seed: seed + 2)))
            cases.append(("checkerboard vs inverse \(width)x\(height)", board,
                          picture(width: width, height: height) { x, y in (x + y) % 2 == 0 ? 0 : 255 }))
            cases.append(("flat 250 vs flat 5 \(width)x\(height)", picture(width: width, height: height) { _, _ in 250 },
                          picture(width: width, height: height) { _, _ in 5 }))
            cases.append(("flat vs bright noise \(width)x\(height)", picture(width: width, height: height) { _, _ in 255 },
                          noisePicture(width: width, height: height, seed: seed + 3, range: 240...255)))
        }
        let ssim = StructuralSimilarity()
        for (label, a, b) in cases {
            let fast = ssim.similarity(a, b)
            let reference = StructuralSimilarity.referenceSimilarity(a, b)
            #expect(abs(fast - reference) <= Self.referenceTolerance, "\(label): fast \(fast) vs reference \(reference)")
        }
    }

    @Test("identical pictures score 1 within 1e-6")
    func identical() throws {
        let fixtures = try SSIMFixtures.load()
        let ssim = StructuralSimilarity()
        var pictures = Array(fixtures.images.values)
        pictures.append(picture(width: 40, height: 30) { _, _ in 0 })
        pictures.append(picture(width: 40, height: 30) { _, _ in 255 })
        pictures.append(picture(width: 13, height: 37) { x, y in (x + y) % 2 == 0 ? 255 : 0 })
        for image in pictures {
            #expect(abs(ssim.similarity(image, image) - 1) <= 1e-6)
        }
    }

    @Test("symmetric within 1e-6, and ordered by distortion strength")
    func symmetryAndOrder() throws {
        let fixtures = try SSIMFixtures.load()
        let ssim = StructuralSimilarity()
        // One photograph's pairs and the small crops keep this quick in debug builds.
        let pairs = fixtures.golden.ssim.filter { $0.a.hasPrefix("chelsea") || ($0.rectA?[2] ?? .max) < 100 }
        #expect(pairs.count >= 16)
        for pair in pairs {
            let (a, b) = try fixtures.pair(pair)
            #expect(abs(ssim.similarity(a, b) - ssim.similarity(b, a)) <= 1e-6, "\(pair.label)")
        }
        // Built by construction: more noise is less similar.
        let camera = try fixtures.image("camera.pgm", nil)
        var previous = 1.0
        for amplitude in [4, 16, 64] {
            let noise = noisePicture(width: camera.width, height: camera.height, seed: 7, range: 0...(2 * amplitude))
            let noisy = LumaImage(width: camera.width, height: camera.height,
                                  pixels: zip(camera.pixels, noise.pixels).map { UInt8(clamping: Int($0) + Int($1) - amplitude) })
            let value = ssim.similarity(camera, noisy)
            #expect(value < previous, "noise ±\(amplitude): \(value)")
            previous = value
        }
    }

    @Test("scratch reuse across sizes gives the same results as fresh instances")
    func scratchReuse() throws {
        let fixtures = try SSIMFixtures.load()
        let shared = StructuralSimilarity()
        let pairs = fixtures.golden.ssim.filter { $0.a.hasPrefix("coffee") || $0.a.hasPrefix("camera") }
        for pair in pairs + pairs.reversed() {
            let (a, b) = try fixtures.pair(pair)
            #expect(shared.similarity(a, b) == StructuralSimilarity().similarity(a, b), "\(pair.label)")
        }
    }

    @Test("pictures of different sizes are a programming error")
    func sizeMismatchTraps() async {
        await #expect(processExitsWith: .failure) {
            let a = LumaImage(width: 20, height: 20, pixels: [UInt8](repeating: 0, count: 400))
            let b = LumaImage(width: 21, height: 20, pixels: [UInt8](repeating: 0, count: 420))
            _ = StructuralSimilarity().similarity(a, b)
        }
        await #expect(processExitsWith: .failure) {
            let a = LumaImage(width: 10, height: 20, pixels: [UInt8](repeating: 0, count: 200))
            _ = StructuralSimilarity().similarity(a, a)
        }
    }
}
