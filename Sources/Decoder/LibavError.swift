import CFFmpeg

/// An error returned by a libav function: its code and libav's own text for it.
public struct LibavError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The negative `AVERROR` code.
    public let code: Int32
    /// What was being done when it failed (e.g. "avcodec_open2").
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// libav's text for the code (`av_strerror`).
    public var message: String { libavMessage(code) }

    public var description: String { "\(operation): \(message)" }

    /// True for `AVERROR_INVALIDDATA`: the bytes are not what the codec or demuxer expects.
    public var isInvalidData: Bool { code == cff_error_invalid_data() }
}

/// libav's description of an error code.
func libavMessage(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    if av_strerror(code, &buffer, buffer.count) < 0 {
        return "error \(code)"
    }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Throws a ``LibavError`` when a libav call returned a negative code; returns the value otherwise.
@discardableResult
func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(LibavError) -> Int32 {
    if code < 0 { throw LibavError(code: code, operation: operation()) }
    return code
}

/// The two normal outcomes of libav's send/receive loop besides success.
enum CodecStep: Equatable {
    /// A frame (or packet) was produced or accepted.
    case ready
    /// The codec wants the other side of the loop first (`EAGAIN`).
    case again
    /// The codec is fully drained (`AVERROR_EOF`).
    case endOfStream
}

/// Maps a send/receive return code to a ``CodecStep``, throwing for real errors.
func codecStep(_ code: Int32, _ operation: @autoclosure () -> String) throws(LibavError) -> CodecStep {
    if code >= 0 { return .ready }
    if code == cff_error_eagain() { return .again }
    if code == cff_error_eof() { return .endOfStream }
    throw LibavError(code: code, operation: operation())
}
