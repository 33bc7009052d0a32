// libFuzzer harness for the readers of JSON and checkpoint files, built by scripts/fuzz.sh (not a package
// target). FRAMEDEDUPE_FUZZ_TARGET chooses what the input's bytes are:
//   truth       an `eval` truth file: GroundTruth(json:name:)
//   results     a result folder: the bytes up to the first NUL are its scenes.json, the rest its clusters.json,
//               read by resume (completeResults) and by eval (ClipResult(folder:), with an empty unique/)
//   checkpoint  a `--resume` checkpoint log (.framededupe-checkpoint/log): every record read and decoded
// An input fails only by crashing, hanging or by a sanitizer report: errors are the expected answer to bad bytes.
import Foundation
import FrameDedupe
import FrameDedupeEvaluation

private let folder = "/dev/shm/framededupe-jsonfuzz-\(getpid())"
/// Registered on first use: libFuzzer ends with exit().
private let removedAtExit: Int32 = atexit { try? FileManager.default.removeItem(atPath: folder) }
private let target = ProcessInfo.processInfo.environment["FRAMEDEDUPE_FUZZ_TARGET"] ?? "truth"

@_cdecl("LLVMFuzzerTestOneInput")
public func jsonFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    _ = removedAtExit
    let bytes = Data(bytes: data, count: size)
    switch target {
    case "truth":
        _ = try? GroundTruth(json: bytes, name: "fuzz.truth.json")
    case "results":
        let url = URL(fileURLWithPath: folder, isDirectory: true)
        try? FileManager.default.createDirectory(at: url.appendingPathComponent("unique"), withIntermediateDirectories: true)
        let cut = bytes.firstIndex(of: 0) ?? bytes.endIndex
        let scenes = bytes[bytes.startIndex..<cut], clusters = cut < bytes.endIndex ? bytes[(cut + 1)...] : Data()
        guard FileManager.default.createFile(atPath: folder + "/scenes.json", contents: Data(scenes)),
              FileManager.default.createFile(atPath: folder + "/clusters.json", contents: Data(clusters)) else { fatalError("cannot write \(folder)") }
        _ = completeResults(in: url, input: "clip.mp4", options: DedupeOptions())
        _ = try? ClipResult(folder: url)
    case "checkpoint":
        _ = decodeCheckpointLog([UInt8](bytes))
        _ = decodeCheckpointLog([UInt8](bytes), verifyingChecksums: false)  // mutated records reach the decoders too
    default:
        fatalError("FRAMEDEDUPE_FUZZ_TARGET must be truth, results or checkpoint, not \(target)")
    }
    return 0
}
