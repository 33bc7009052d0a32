import Foundation
import FrameDedupe
import Testing
import _FrameDedupeTestSupport

/// The checkpoint reader `scripts/fuzz.sh` fuzzes, on its seeds (real logs) and on the inputs kept from its runs
/// (`scripts/fuzz/regressions/checkpoint/`, none yet): every cut of a real log reads up to its last whole record,
/// and no input crashes it. The readers of truth and result files: FrameDedupeEvaluationTests.
@Suite("Fuzzed readers: seeds and regressions", .temporaryFolders)
struct FuzzSeedsTests {
    @Test func checkpointLogs() throws {
        let seeds = Fixtures.fuzzInputs("checkpoint")
        #expect(seeds.count >= 2)
        for url in seeds {
            let bytes = try [UInt8](Data(contentsOf: url))
            let whole = decodeCheckpointLog(bytes)
            _ = decodeCheckpointLog(bytes, verifyingChecksums: false)
            guard url.path.contains("/seeds/") else { continue }
            #expect(whole >= 3, "\(url.lastPathComponent): \(whole) records decoded")
            // A log cut anywhere (a kill mid-write) reads back fewer records, never more, and never crashes.
            var previous = 0
            for cut in stride(from: 0, through: bytes.count, by: max(1, bytes.count / 200)) {
                let n = decodeCheckpointLog(Array(bytes[..<cut]))
                #expect(n >= previous && n <= whole, "cut at \(cut): \(n) records")
                previous = n
            }
            // One flipped byte in the last record: that record is dropped, the others read.
            var flipped = bytes
            flipped[flipped.count - 2] ^= 0x40
            #expect(decodeCheckpointLog(flipped) == whole - 1)
        }
    }
}
