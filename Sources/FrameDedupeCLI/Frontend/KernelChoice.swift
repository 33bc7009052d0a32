import Foundation
import Similarity

/// OpenBLAS's kernels for this CPU, corrected at start-up when OpenBLAS took the CPU for an older one.
///
/// OpenBLAS (built with DYNAMIC_ARCH, as Debian's is) chooses its kernels while it loads, before `main`, from the
/// CPU's family and model, and reads `OPENBLAS_CORETYPE` only then. When it chose kernels older than the CPU runs
/// (``LinearAlgebraCore/wantedCore(replacing:features:)``: Prescott on an AVX-512 Xeon it does not know), the
/// program sets `OPENBLAS_CORETYPE` to the right core and executes itself again (`/proc/self/exe`, same arguments,
/// same open files: standard input has not been read yet), once: the new process finds
/// `FRAMEDEDUPE_BLAS_CORE_CORRECTED` (the core OpenBLAS had chosen) and never does it again. A user's own
/// `OPENBLAS_CORETYPE` is left alone.
enum KernelChoice {
    /// Set in the executed-again process: the core OpenBLAS had chosen by itself.
    static let correctedVariable = "FRAMEDEDUPE_BLAS_CORE_CORRECTED"
    /// Test hook: `OPENBLAS_CORETYPE` is taken for OpenBLAS's own (wrong) choice instead of the user's, so that a
    /// test can make OpenBLAS fall back (`OPENBLAS_CORETYPE=Prescott FRAMEDEDUPE_TEST_BLAS_FALLBACK=1`) on any CPU.
    static let fallbackTestVariable = "FRAMEDEDUPE_TEST_BLAS_FALLBACK"

    /// This machine's CPU, from `/proc/cpuinfo` (no features where it cannot be read).
    static func processor() -> ProcessorInfo {
        (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)).map(ProcessorInfo.init(cpuinfo:)) ?? ProcessorInfo(features: [])
    }

    /// First thing in `main`, before any thread starts or anything is read: executes the program again with the
    /// right `OPENBLAS_CORETYPE` when OpenBLAS fell back; returns when nothing is to be done or that failed (the
    /// run then goes on with OpenBLAS's kernels, and `doctor` says so).
    static func correctAtStartUp(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard environment[correctedVariable] == nil else { return }
        let userCore = environment["OPENBLAS_CORETYPE"]
        if userCore != nil && environment[fallbackTestVariable] == nil { return }
        let core = LinearAlgebraCore.current
        guard LinearAlgebraCore.choosesAtLoad,
              let wanted = LinearAlgebraCore.wantedCore(replacing: core, features: processor().features) else { return }
        setenv("OPENBLAS_CORETYPE", wanted, 1)
        setenv(correctedVariable, core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Still here: no /proc, or the executable was replaced. Go on as OpenBLAS chose.
        if let userCore { setenv("OPENBLAS_CORETYPE", userCore, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
        unsetenv(correctedVariable)
    }

    /// The kernels in use and who chose them, one line: "SkylakeX (chosen by framededupe: OpenBLAS 0.3.21 took
    /// this CPU for Prescott)", "Cooperlake (OpenBLAS's choice)", "Haswell (OPENBLAS_CORETYPE)", with a warning
    /// where the CPU could run better ones.
    static func summary(environment: [String: String] = ProcessInfo.processInfo.environment, processor: ProcessorInfo = processor()) -> String {
        let core = LinearAlgebraCore.current
        let better = LinearAlgebraCore.wantedCore(replacing: core, features: processor.features)
        if let original = environment[correctedVariable] {
            if better == nil { return "\(core) (chosen by framededupe: OpenBLAS took this CPU for \(original))" }
            return "\(core) (framededupe asked for \(environment["OPENBLAS_CORETYPE"] ?? "?") in place of \(original); this OpenBLAS did not load it)"
        }
        let who = environment["OPENBLAS_CORETYPE"] != nil ? "OPENBLAS_CORETYPE" : "OpenBLAS's choice"
        guard let better else { return "\(core) (\(who))" }
        let why = !LinearAlgebraCore.choosesAtLoad ? "this OpenBLAS is built for one CPU (no DYNAMIC_ARCH)"
            : environment["OPENBLAS_CORETYPE"] != nil ? "unset OPENBLAS_CORETYPE or set it to \(better)"
            : "it could not be corrected: /proc/self/exe could not be executed"
        return "\(core) (\(who)); slower than this CPU allows: \(better) would be faster; \(why)"
    }

    /// For a run that uses the network: the kernels with -v; a warning when they are slower than the CPU allows
    /// and the user did not choose them.
    static func report(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let line = summary(environment: environment)
        let slower = LinearAlgebraCore.wantedCore(replacing: LinearAlgebraCore.current, features: processor().features) != nil
        if slower && environment["OPENBLAS_CORETYPE"] == nil {
            Log.logger.warning("BLAS kernels: \(line)")
        } else {
            Log.logger.info("BLAS kernels: \(line)")
        }
    }
}
