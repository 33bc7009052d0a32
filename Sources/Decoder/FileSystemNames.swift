import Foundation

/// File names as the file system has them — bytes — held without loss in a Swift `String`.
///
/// Linux names are any bytes but `/` and NUL; a `String` holds Unicode only, and Foundation and the standard
/// library turn bytes that are not UTF-8 into U+FFFD, so such a name no longer names its file. Here every byte that
/// is not part of valid UTF-8 stands for itself as a private-use scalar, U+F780 + (byte − 0x80), and so do the
/// bytes of a name's own scalars in U+F780…U+F7FF (which would otherwise be mistaken for such a byte): the
/// mapping from bytes to `String` and back is exact, and a valid UTF-8 name is its ordinary `String`.
/// Command-line arguments (``arguments``) and folder listings (``contents(ofFolder:)``) come in this way; every
/// path handed to the system or to libav goes out through ``withPath(_:_:)``.
public enum FileSystemName {
    private static let escapes: ClosedRange<UInt32> = 0xF780...0xF7FF

    /// The name of these bytes.
    public static func string(_ bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < bytes.count {
            if let (scalar, length) = decode(bytes, at: i), !escapes.contains(scalar.value) {
                out.append(scalar)
                i += length
            } else {
                let length = decode(bytes, at: i)?.1 ?? 1
                for b in bytes[i..<i + length] { out.append(Unicode.Scalar(0xF700 + UInt32(b))!) }
                i += length
            }
        }
        return String(out)
    }

    /// The bytes `name` stands for.
    public static func bytes(_ name: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(name.utf8.count)
        for scalar in name.unicodeScalars {
            if escapes.contains(scalar.value) { out.append(UInt8(scalar.value - 0xF700)) } else { out += Array(String(scalar).utf8) }
        }
        return out
    }

    /// Calls `body` with `name` as the NUL-terminated bytes the system takes.
    public static func withPath<R>(_ name: String, _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        let cString = bytes(name).map { CChar(bitPattern: $0) } + [0]
        return try cString.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    /// Whether `name` holds bytes that are not UTF-8 (shown as `\xHH` in messages).
    public static func hasRawBytes(_ name: String) -> Bool { name.unicodeScalars.contains { escapes.contains($0.value) } }

    /// `name` for a message: each raw byte as `\xHH` (or as `byteFormat` says, with the byte's value).
    public static func displayed(_ name: String, byteFormat: String = "\\x%02X") -> String {
        guard hasRawBytes(name) else { return name }
        var out = ""
        for scalar in name.unicodeScalars {
            if escapes.contains(scalar.value) { out += String(format: byteFormat, scalar.value - 0xF700) } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// The process's arguments (without the program's name) as names, bytes kept.
    public static func arguments() -> [String] {
        (1..<Int(CommandLine.argc)).map { i in
            guard let argument = CommandLine.unsafeArgv[i] else { return "" }
            return string(UnsafeBufferPointer(start: UnsafeRawPointer(argument).assumingMemoryBound(to: UInt8.self), count: strlen(argument)))
        }
    }

    /// The entries of a folder (without `.` and `..`), nil when it cannot be listed.
    public static func contents(ofFolder path: String) -> [String]? {
        guard let folder = withPath(path, { opendir($0) }) else { return nil }
        defer { closedir(folder) }
        var names: [String] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in string(raw.prefix { $0 != 0 }) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// `stat(2)` of `path` (symbolic links followed), nil when it does not exist.
    public static func status(_ path: String) -> stat? {
        var info = stat()
        return withPath(path) { stat($0, &info) } == 0 ? info : nil
    }

    /// Whether `path` names a regular file (symbolic links followed).
    public static func isRegularFile(_ path: String) -> Bool { status(path).map { $0.st_mode & S_IFMT == S_IFREG } ?? false }

    /// Whether `path` names a folder (symbolic links followed).
    public static func isFolder(_ path: String) -> Bool { status(path).map { $0.st_mode & S_IFMT == S_IFDIR } ?? false }

    /// Whether `path` names a FIFO, a socket or a device (symbolic links followed): something read once, as a stream.
    public static func isStream(_ path: String) -> Bool {
        status(path).map { [S_IFIFO, S_IFSOCK, S_IFCHR].contains($0.st_mode & S_IFMT) } ?? false
    }

    /// `open(2)` of `path` with `flags` (read only: add `O_NONBLOCK` where a FIFO must not hold the caller up).
    public static func open(_ path: String, _ flags: Int32) -> Int32 { withPath(path) { Glibc.open($0, flags | O_CLOEXEC) } }

    /// The first bytes of the file at `path`, up to `count` (fewer at its end), read without blocking: a FIFO
    /// without a writer gives none instead of holding the caller up. Nil when it cannot be opened or gives nothing.
    public static func head(_ path: String, count: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let n = read(fd, &bytes, count)
        return n > 0 ? Array(bytes[..<n]) : nil
    }

    /// The UTF-8 scalar at `i` and its length in bytes, nil when the bytes there are not valid UTF-8.
    private static func decode(_ b: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let lead = b[i]
        let length = lead < 0x80 ? 1 : lead >> 5 == 0b110 ? 2 : lead >> 4 == 0b1110 ? 3 : lead >> 3 == 0b11110 ? 4 : 0
        guard length > 0, i + length <= b.count else { return nil }
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = b[i..<i + length].makeIterator()
        guard case .valid(let encoded) = parser.parseScalar(from: &iterator), encoded.count == length else { return nil }
        return (Unicode.UTF8.decode(encoded), length)
    }
}
