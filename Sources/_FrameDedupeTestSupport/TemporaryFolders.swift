import Foundation
import Testing

/// Temporary folders that go away with the test that made them.
///
/// Every suite carries the `.temporaryFolders` trait. For each test (each case of a parameterised one) it makes
/// a folder in the temporary directory, under which ``Fixtures/temporaryFolder(_:)`` puts the test's folders and
/// where the programs the test runs (``BoundedRun``, ``Fixtures/startFramededupe(_:stderr:)``) get their
/// `TMPDIR`, so whatever a killed binary leaves behind goes too; the folder is removed when the test ends, pass or
/// fail. A folder asked for outside a test's scope is an issue of that test (and is removed when the process exits).
public struct TemporaryFolderScope: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let root = TemporaryFolders.makeRoot()
        defer { TemporaryFolders.remove(root) }
        try await TemporaryFolders.$current.withValue(root) { try await function() }
    }
}

extension Trait where Self == TemporaryFolderScope {
    /// Each test's temporary folders, and its programs' `TMPDIR`, removed when the test ends (``TemporaryFolderScope``).
    public static var temporaryFolders: Self { Self() }
}

/// Where the current test's temporary folders go.
public enum TemporaryFolders {
    /// The folder of the test running on this task, nil outside one.
    @TaskLocal public static var current: URL?

    /// A new folder `framededupe-test-XXXXXXXX` in the temporary directory.
    static func makeRoot() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("framededupe-test-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Removes `folder` and everything in it, making what a test left read-only writable first.
    static func remove(_ folder: URL) {
        if (try? FileManager.default.removeItem(at: folder)) != nil { return }
        _ = try? Fixtures.run("chmod", ["-R", "u+rwx", folder.path])
        try? FileManager.default.removeItem(at: folder)
    }

    /// For a folder asked for outside a test: one folder for the process, removed when it exits.
    static let outsideTests: URL = {
        let root = makeRoot()
        atexit { if let root = TemporaryFolders.outsideTestsPath { _ = try? FileManager.default.removeItem(atPath: root) } }
        outsideTestsPath = root.path
        return root
    }()

    nonisolated(unsafe) private static var outsideTestsPath: String?

    /// The current test's folder, or (recording an issue) the process's.
    static func parent(sourceLocation: SourceLocation) -> URL {
        if let current { return current }
        Issue.record("a temporary folder outside a test's scope: give its suite the .temporaryFolders trait", sourceLocation: sourceLocation)
        return outsideTests
    }

    /// `TMPDIR` for a program the current test runs: `tmp/` in its folder (nil outside a test).
    static func programTemporaryDirectory() -> String? {
        guard let current else { return nil }
        let tmp = current.appendingPathComponent("tmp", isDirectory: true)
        try? FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        return tmp.path
    }
}
