import Foundation

extension Fixtures {
    /// Starts the built binary with `arguments` without waiting for it (to signal or kill it mid-run): stdin and
    /// stdout are /dev/null, stderr goes to the file `stderr`.
    public static func startFramededupe(_ arguments: [String], stderr: URL) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let tmp = TemporaryFolders.programTemporaryDirectory() {
            process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": tmp]) { $1 }
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        return process
    }

    /// Waits (up to two minutes) until `ready` holds, checking every 20 ms.
    public static func wait(until ready: () -> Bool) {
        let deadline = Date().addingTimeInterval(120)
        while !ready() && Date() < deadline { usleep(20_000) }
    }
}
