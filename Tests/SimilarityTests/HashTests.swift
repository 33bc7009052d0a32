import Pixels
import Similarity
import Testing
import _FrameDedupeTestSupport

@Suite("Perceptual hashes", .temporaryFolders)
struct HashTests {
    /// Largest `distance(to:)` (max of pHash and dHash, bits of 64) allowed between a photograph and its brightened
    /// (+30), JPEG q20, noisy (σ 10) or blurred (σ 1.5) version. Measured on the fixtures: pHash ≤ 2, dHash ≤ 3.
    static let distortedBound = 4
    /// Smallest Hamming distance, per hash, required between two different photographs. Measured: ≥ 30.
    static let differentBound = 20

    @Test("pHash and dHash match the independent numpy transcription bit for bit")
    func matchesGolden() throws {
        let fixtures = try SSIMFixtures.load()
        #expect(fixtures.golden.hashes.count == fixtures.images.count)
        for golden in fixtures.golden.hashes {
            let hash = FrameHash(try fixtures.image(golden.image, nil))
            #expect(hash.perceptual == UInt64(golden.perceptual, radix: 16), "\(golden.image) pHash")
            #expect(hash.difference == UInt64(golden.difference, radix: 16), "\(golden.image) dHash")
        }
    }

    @Test("a picture is at distance 0 from itself, a distorted copy is near", arguments: ["camera", "astronaut", "chelsea", "coffee"])
    func distortedIsNear(photo: String) throws {
        let fixtures = try SSIMFixtures.load()
        let original = FrameHash(try fixtures.image("\(photo).pgm", nil))
        #expect(original.distance(to: FrameHash(try fixtures.image("\(photo).pgm", nil))) == 0)
        #expect(original.distance(to: original) == 0)
        for distortion in ["bright", "jpeg", "noise", "blur"] {
            let distorted = FrameHash(try fixtures.image("\(photo)-\(distortion).pgm", nil))
            #expect(original.distance(to: distorted) <= Self.distortedBound, "\(photo) \(distortion)")
        }
    }

    @Test("different photographs are far apart in both hashes")
    func differentIsFar() throws {
        let fixtures = try SSIMFixtures.load()
        let photos = ["camera", "astronaut", "chelsea", "coffee"]
        let hashes = try photos.map { FrameHash(try fixtures.image("\($0).pgm", nil)) }
        for i in photos.indices {
            for j in photos.indices where i < j {
                #expect(hashes[i].perceptualDistance(to: hashes[j]) >= Self.differentBound, "\(photos[i]) vs \(photos[j])")
                #expect(hashes[i].differenceDistance(to: hashes[j]) >= Self.differentBound, "\(photos[i]) vs \(photos[j])")
            }
        }
    }

    @Test("uniform, black and gradient pictures hash to the values their definition implies")
    func byConstruction() {
        // Uniform: every AC coefficient is exactly zero, so only the DC bit is set; a black picture has none.
        #expect(FrameHash(picture(width: 64, height: 48) { _, _ in 128 }) == FrameHash(perceptual: 1, difference: 0))
        #expect(FrameHash(picture(width: 7, height: 5) { _, _ in 0 }) == FrameHash(perceptual: 0, difference: 0))
        #expect(FrameHash(LumaImage(width: 1, height: 1, pixels: [200])) == FrameHash(perceptual: 1, difference: 0))
        // dHash: brighter to the left sets every bit, brighter to the right none.
        #expect(FrameHash(picture(width: 90, height: 40) { x, _ in 255 - x }).difference == .max)
        #expect(FrameHash(picture(width: 90, height: 40) { x, _ in x }).difference == 0)
        // Only the first row of cells is brighter on the left.
        #expect(FrameHash(picture(width: 90, height: 40) { x, y in y < 5 ? 255 - x : 0 }).difference == 0xFF)
        // pHash of a left-right ramp: the horizontal AC coefficients v = 1, 3, 5, 7 of row u = 0 are positive
        // (a darker-to-brighter ramp has a negative first cosine term, so decreasing brightness is positive),
        // the rest are zero: a decreasing ramp sets exactly the DC bit and bits 1, 3, 5, 7.
        #expect(FrameHash(picture(width: 64, height: 64) { x, _ in 255 - 4 * x }).perceptual == 0b1010_1011)
    }

    @Test("hashes are unchanged by pixel replication (area average is exact)")
    func replicationInvariant() throws {
        let fixtures = try SSIMFixtures.load()
        let chelsea = try fixtures.image("chelsea.pgm", nil)
        let doubled = picture(width: 2 * chelsea.width, height: 2 * chelsea.height) { x, y in Int(chelsea[x / 2, y / 2]) }
        #expect(FrameHash(doubled) == FrameHash(chelsea))
        let small = noisePicture(width: 13, height: 6, seed: 42)
        let tripled = picture(width: 39, height: 18) { x, y in Int(small[x / 3, y / 3]) }
        #expect(FrameHash(tripled) == FrameHash(small))
    }

    /// The SSIM luma's downscale against its definition, pixel by pixel: each output pixel the rounded mean of the
    /// source pixels it covers, each weighted by its (integer) overlap in x times its overlap in y. Exact.
    @Test("area downscale is the exact area mean, on a photograph and on noise of odd sizes")
    func areaDownscaleIsTheDefinition() throws {
        let chelsea = try SSIMFixtures.load().image("chelsea.pgm", nil)
        let cases = [(chelsea, 64), (chelsea, 97), (noisePicture(width: 455, height: 256, seed: 7), 32),
                     (noisePicture(width: 37, height: 91, seed: 8), 36), (noisePicture(width: 13, height: 6, seed: 9), 1)]
        for (image, shortSide) in cases {
            let out = image.areaDownscaled(shortSide: shortSide)
            let (width, height, w, h) = (image.width, image.height, out.width, out.height)
            #expect(min(w, h) == shortSide)
            func overlap(_ source: Int, _ cell: Int, sourceSize: Int, cellSize: Int) -> Int {
                max(0, min((source + 1) * cellSize, (cell + 1) * sourceSize) - max(source * cellSize, cell * sourceSize))
            }
            var mismatches = 0
            for i in 0..<h {
                for j in 0..<w {
                    var sum = 0
                    for y in (i * height / h)...min(height - 1, ((i + 1) * height) / h) {
                        let wy = overlap(y, i, sourceSize: height, cellSize: h)
                        for x in (j * width / w)...min(width - 1, ((j + 1) * width) / w) {
                            sum += wy * overlap(x, j, sourceSize: width, cellSize: w) * Int(image[x, y])
                        }
                    }
                    if Int(out[j, i]) != min(255, (sum + width * height / 2) / (width * height)) { mismatches += 1 }
                }
            }
            #expect(mismatches == 0, "\(width)x\(height) to \(w)x\(h)")
        }
    }

    @Test("Hamming distance counts differing bits; distance(to:) is the larger of the two")
    func hamming() {
        #expect(FrameHash.hammingDistance(0, .max) == 64)
        #expect(FrameHash.hammingDistance(0b1011, 0b0001) == 2)
        #expect(FrameHash.hammingDistance(0x8000_0000_0000_0000, 0) == 1)
        let a = FrameHash(perceptual: 0, difference: 0)
        let b = FrameHash(perceptual: 0b111, difference: 0b1_1111)
        #expect(a.perceptualDistance(to: b) == 3)
        #expect(a.differenceDistance(to: b) == 5)
        #expect(a.distance(to: b) == 5)
        #expect(b.distance(to: a) == 5)
    }
}
