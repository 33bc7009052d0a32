import Foundation
import Testing

/// One run of a program, bounded in time: killed (SIGKILL) and reported when it takes longer than its limit,
/// with its exit status, stdout and stderr (read while it runs, so neither pipe fills up), its peak memory (from
/// wait4), and standard input fed, empty, from a file, or closed. The one way tests run programs: inside a test
/// (``TemporaryFolderScope``) the program's `TMPDIR` is the test's own temporary folder.
public struct BoundedRun: Sendable {
    public enum Input: Sendable {
        /// These bytes, then end of file (the writer closes its end).
        case bytes(Data)
        /// /dev/null.
        case null
        /// This file.
        case file(URL)
        /// File descriptor 0 closed in the child.
        case closed
    }

    /// Seconds a run may take by default: a minute, where the test binary's runs on the samples take about one.
    public static let defaultTimeLimit = 60.0

    public let command: [String]
    /// The exit status; 128 + the signal's number when a signal ended the program (as shells report it).
    public private(set) var status: Int32 = 0
    /// The signal that ended the program, if one did (SIGKILL when it was over its time limit).
    public private(set) var signal: Int32?
    public private(set) var timedOut = false
    public private(set) var stdout = ""
    public private(set) var stderr = ""
    /// The program's peak resident memory (VmHWM in /proc/PID/status), sampled every 20 ms while it runs: a
    /// program that balloons is caught growing; growth in its last 20 ms is not seen. Not wait4's `ru_maxrss`:
    /// a program spawned by a process that holds much memory (the test runner, hundreds of MB by the end of a
    /// full run) reports at least that parent's size there, because Linux records the spawning address space's
    /// high-water mark when the child calls exec.
    public private(set) var maxRSSKiB = 0
    public private(set) var seconds = 0.0

    public var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }

    public init(_ program: String, _ arguments: [String], stdin: Input = .null, environment: [String: String] = [:],
                timeLimit: Double = BoundedRun.defaultTimeLimit) throws {
        try self.init([program] + arguments, stdin: stdin, environment: environment, timeLimit: timeLimit)
    }

    public init(_ prefix: [String], _ arguments: [String], stdin: Input = .null, environment: [String: String] = [:],
                timeLimit: Double = BoundedRun.defaultTimeLimit) throws {
        try self.init(prefix + arguments, stdin: stdin, environment: environment, timeLimit: timeLimit)
    }

    /// Runs `command` (its first element found on PATH) with `environment` added to this process's.
    public init(_ command: [String], stdin: Input = .null, environment: [String: String] = [:],
                timeLimit: Double = BoundedRun.defaultTimeLimit) throws {
        self.command = command
        // Our end of a pipe to a child that has exited must not kill the test process.
        Glibc.signal(SIGPIPE, SIG_IGN)
        func makePipe() throws -> (read: Int32, write: Int32) {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw FixtureError(command: "pipe", stderr: String(cString: strerror(errno))) }
            // Not inherited by other tests' children (pipe2 is not imported; the window in between is tiny).
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return (fds[0], fds[1])
        }
        let out = try makePipe(), err = try makePipe()
        var input: (read: Int32, write: Int32)? = nil
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        switch stdin {
        case .bytes:
            let p = try makePipe()
            input = p
            posix_spawn_file_actions_adddup2(&actions, p.read, 0)
        case .null:
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        case .file(let url):
            posix_spawn_file_actions_addopen(&actions, 0, url.path, O_RDONLY, 0)
        case .closed:
            posix_spawn_file_actions_addclose(&actions, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, out.write, 1)
        posix_spawn_file_actions_adddup2(&actions, err.write, 2)
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var variables = ProcessInfo.processInfo.environment
        if let tmp = TemporaryFolders.programTemporaryDirectory() { variables["TMPDIR"] = tmp }
        variables.merge(environment) { $1 }
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        let started = Date()
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, command[0], &actions, nil, argv, envp)
        close(out.write)
        close(err.write)
        if let input { close(input.read) }
        guard spawned == 0 else {
            close(out.read)
            close(err.read)
            if let input { close(input.write) }
            throw FixtureError(command: command.joined(separator: " "), stderr: "posix_spawn: \(String(cString: strerror(spawned)))")
        }
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        for (fd, sink) in [(out.read, 0), (err.read, 1)] {
            group.enter()
            DispatchQueue.global().async {
                let data = FileHandle(fileDescriptor: fd, closeOnDealloc: true).readDataToEndOfFile()
                if sink == 0 { outData = data } else { errData = data }
                group.leave()
            }
        }
        if case .bytes(let bytes) = stdin, let input {
            group.enter()
            DispatchQueue.global().async {
                bytes.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let n = write(input.write, raw.baseAddress! + offset, raw.count - offset)
                        if n < 0 && errno == EINTR { continue }
                        if n <= 0 { break }  // the reader has gone
                        offset += n
                    }
                }
                close(input.write)
                group.leave()
            }
        }
        var waitStatus: Int32 = 0
        var usage = rusage()
        while true {
            let reaped = wait4(pid, &waitStatus, WNOHANG, &usage)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { throw FixtureError(command: command.joined(separator: " "), stderr: "wait4: \(String(cString: strerror(errno)))") }
            maxRSSKiB = max(maxRSSKiB, Self.peakResidentKiB(of: pid))
            if Date().timeIntervalSince(started) > timeLimit {
                timedOut = true
                kill(pid, SIGKILL)
                _ = wait4(pid, &waitStatus, 0, &usage)
                break
            }
            usleep(20_000)
        }
        seconds = Date().timeIntervalSince(started)
        group.wait()
        stdout = String(decoding: outData, as: UTF8.self)
        stderr = String(decoding: errData, as: UTF8.self)
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift does not import.
        if waitStatus & 0x7F == 0 { status = (waitStatus >> 8) & 0xFF } else { signal = waitStatus & 0x7F; status = 128 + waitStatus & 0x7F }
    }

    /// VmHWM of a running process, in KiB; 0 when it cannot be read (the process has ended).
    private static func peakResidentKiB(of pid: pid_t) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") ?? 0
    }
}
