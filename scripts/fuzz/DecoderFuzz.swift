// libFuzzer harness for the decoder's entry point, built by scripts/fuzz.sh (not a package target).
// Each input's bytes are written to a file on tmpfs and read the way `framededupe FILE` reads a file:
// VideoReader(input:) then next() to the end (at most 64 sampled frames), with every sampled picture also
// converted to RGB, as the network's input is. An input fails only by crashing, hanging or by a
// sanitizer report; DecoderError is the expected answer to bad bytes.
import Decoder
import Foundation

private let path = "/dev/shm/framededupe-fuzz-\(getpid()).bin"
/// Registered on first use: libFuzzer ends with exit().
private let removedAtExit: Int32 = atexit { unlink(path) }
/// libav quiet, as the command line keeps it (the decoder leaves its global log level to the program).
private let libavQuiet: Void = setLibavLogLevel(.quiet)

@_cdecl("LLVMFuzzerTestOneInput")
public func decoderFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    _ = removedAtExit
    _ = libavQuiet
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size)) else { fatalError("cannot write \(path)") }
    var options = ReaderOptions()
    options.sampling = .all
    options.analysisShortSide = 64
    options.threads = 1
    guard let reader = try? VideoReader(input: path, options: options) else { return 0 }
    var frames = 0
    while frames < 64, let frame = try? reader.next() {
        _ = try? frame.picture.rgb(width: 32, height: 32, smooth: true)
        frames += 1
    }
    _ = reader.warnings
    return 0
}
