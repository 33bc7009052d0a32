import Foundation
import Testing
import _FrameDedupeTestSupport

/// OpenBLAS's kernels corrected at start-up: a fallback is simulated with `OPENBLAS_CORETYPE=Prescott` and the
/// test hook that takes it for OpenBLAS's own choice (a user's `OPENBLAS_CORETYPE` is otherwise kept).
@Suite("BLAS kernels at start-up", .temporaryFolders)
struct KernelChoiceTests {
    /// Whether this machine's CPU runs better kernels than Prescott's (AVX2 and FMA at least).
    static let upgrades: Bool = {
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? []
        return flags.contains("avx2") && flags.contains("fma")
    }()
    static let fallback = ["OPENBLAS_CORETYPE": "Prescott", "FRAMEDEDUPE_TEST_BLAS_FALLBACK": "1"]

    @Test func doctorNamesTheKernelsAndWhoChoseThem() throws {
        let own = try BoundedRun(Fixtures.binary.path, ["doctor"])
        #expect(own.status == 0, "stderr: \(own.stderr)")
        for line in ["CPU: ", "CPU features: ", "BLAS kernels: ", "OpenBLAS: ", "Build target CPU: "] {
            #expect(own.stdout.contains("\n" + line), "doctor lacks \(line): \(own.stdout)")
        }
        let user = try BoundedRun(Fixtures.binary.path, ["doctor"], environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(user.stdout.contains("BLAS kernels: Prescott (OPENBLAS_CORETYPE)"), "a user's choice is kept: \(user.stdout)")
        let fallback = try BoundedRun(Fixtures.binary.path, ["doctor"], environment: Self.fallback)
        if Self.upgrades {
            #expect(fallback.stdout.contains("(chosen by framededupe: OpenBLAS took this CPU for Prescott)"), "\(fallback.stdout)")
            #expect(!fallback.stdout.contains("BLAS kernels: Prescott"))
        } else {
            #expect(fallback.stdout.contains("BLAS kernels: Prescott (OPENBLAS_CORETYPE)"), "\(fallback.stdout)")
        }
    }

    /// The program executed again reads standard input from its start (nothing was read before) and embeds as the
    /// kernels OpenBLAS chose by itself do, to rounding.
    @Test func theProgramExecutedAgainReadsAPipeAndEmbedsTheSame() throws {
        let clip = try Data(contentsOf: Fixtures.sample("shots-360p.mp4"))
        let arguments = ["embed", "-", "--end", "1.5", "--format", "jsonl", "-o", "-", "-q"]
        let own = try BoundedRun(Fixtures.binary.path, arguments, stdin: .bytes(clip))
        let corrected = try BoundedRun(Fixtures.binary.path, arguments, stdin: .bytes(clip), environment: Self.fallback)
        #expect(own.status == 0 && corrected.status == 0, "stderr: \(own.stderr) \(corrected.stderr)")
        func vectors(_ text: String) throws -> [[Double]] {
            try text.split(separator: "\n").map { line in
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                return (object?["embedding"] as? [Double]) ?? []
            }
        }
        let a = try vectors(own.stdout), b = try vectors(corrected.stdout)
        #expect(a.count == 4 && b.count == a.count)  // 0, 0.5, 1 and the range's last frame, 1.46 s
        for (x, y) in zip(a, b) {
            #expect(x.count == 1280 && y.count == 1280)
            let difference = zip(x, y).map { abs($0 - $1) }.max() ?? 1
            #expect(difference < 1e-4, "largest difference \(difference)")
        }
    }
}
