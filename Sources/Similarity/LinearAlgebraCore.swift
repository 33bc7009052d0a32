import COpenBLAS
import Foundation

/// What a CPU is and which of the instruction sets the network's kernels use it can run.
///
/// Read from Linux's `/proc/cpuinfo` (the program reads the file and passes its text): the kernel lists the AVX
/// and AVX-512 flags only when it saves those registers' state (XCR0), the same condition OpenBLAS checks with
/// `xgetbv` before it uses them, so a flag listed here is one the process can use.
public struct ProcessorInfo: Sendable, Equatable {
    /// The instruction-set extensions that decide which OpenBLAS kernels can run.
    public struct Features: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        public static let avx2 = Features(rawValue: 1 << 0)
        public static let fma = Features(rawValue: 1 << 1)
        public static let avx512f = Features(rawValue: 1 << 2)
        public static let avx512bw = Features(rawValue: 1 << 3)
        public static let avx512dq = Features(rawValue: 1 << 4)
        public static let avx512vl = Features(rawValue: 1 << 5)
        public static let avx512cd = Features(rawValue: 1 << 6)

        /// AVX2 with FMA: what OpenBLAS's Haswell (and Zen) kernels need.
        public static let avx2Class: Features = [.avx2, .fma]
        /// AVX-512 Foundation, Byte/Word, Doubleword/Quadword and Vector Length: what its SkylakeX kernels need.
        public static let avx512Class: Features = [.avx2, .fma, .avx512f, .avx512bw, .avx512dq, .avx512vl]

        /// The `/proc/cpuinfo` flag of each feature, in this order.
        public static let flagNames: [(Features, String)] = [
            (.avx2, "avx2"), (.fma, "fma"), (.avx512f, "avx512f"), (.avx512bw, "avx512bw"), (.avx512dq, "avx512dq"),
            (.avx512vl, "avx512vl"), (.avx512cd, "avx512cd"),
        ]

        /// The flags that are set, as `/proc/cpuinfo` spells them.
        public var names: [String] { Self.flagNames.filter { contains($0.0) }.map(\.1) }
    }

    /// `model name` (e.g. "Intel(R) Xeon(R) Processor"), or "unknown".
    public var modelName: String
    /// `vendor_id` (GenuineIntel, AuthenticAMD…), or "unknown".
    public var vendor: String
    /// `cpu family` and `model`: what OpenBLAS goes by to recognise a CPU (nil where not listed).
    public var family: Int?
    public var model: Int?
    public var features: Features

    public init(modelName: String = "unknown", vendor: String = "unknown", family: Int? = nil, model: Int? = nil, features: Features) {
        self.modelName = modelName
        self.vendor = vendor
        self.family = family
        self.model = model
        self.features = features
    }

    /// The first processor described in the text of `/proc/cpuinfo` (an empty text gives no features).
    public init(cpuinfo: String) {
        var fields: [String: String] = [:]
        for line in cpuinfo.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy(\.isWhitespace), !fields.isEmpty { break }  // the end of the first processor
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil { fields[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        let flags = Set((fields["flags"] ?? "").split(separator: " ").map(String.init))
        var features: Features = []
        for (feature, name) in Features.flagNames where flags.contains(name) { features.insert(feature) }
        self.init(modelName: fields["model name"] ?? "unknown", vendor: fields["vendor_id"] ?? "unknown",
                  family: fields["cpu family"].flatMap { Int($0) }, model: fields["model"].flatMap { Int($0) }, features: features)
    }
}

/// OpenBLAS's choice of kernels (its "core"), and which one a CPU deserves.
///
/// Most of the network's time is OpenBLAS's matrix products. A build of OpenBLAS with `DYNAMIC_ARCH` (Debian's)
/// picks its kernels once, while it loads, from the CPU's family and model; a CPU newer than the library is taken
/// for an old one (Debian's 0.3.21 runs its Prescott, SSE3, kernels on a 2023 Xeon, about 3× slower than SkylakeX's).
/// It reads `OPENBLAS_CORETYPE` at that moment only, so the choice is corrected by the program that starts
/// (``wantedCore(replacing:features:)`` decides; the command line sets the variable and executes itself again).
public enum LinearAlgebraCore {
    /// The kernels OpenBLAS is running (`openblas_get_corename()`: "Prescott", "Haswell", "SkylakeX"…).
    public static var current: String { linearAlgebraKernels }

    /// OpenBLAS's build (`openblas_get_config()`: version, DYNAMIC_ARCH, the core, MAX_THREADS).
    public static var configuration: String { openblas_get_config().map { String(cString: $0) } ?? "unknown" }

    /// Whether this OpenBLAS chooses its kernels when it loads (built with `DYNAMIC_ARCH`), so that
    /// `OPENBLAS_CORETYPE` can change them; a build for one CPU runs its own kernels whatever it is told.
    public static var choosesAtLoad: Bool { configuration.contains("DYNAMIC_ARCH") }

    /// How much of the CPU each of OpenBLAS's x86-64 cores uses (names compared without case): 2 for the AVX-512
    /// cores, 1 for the AVX2 ones, 0 for the older ones. A name not listed (a core of a newer OpenBLAS) is nil.
    static func tier(of core: String) -> Int? {
        switch core.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": 2
        case "haswell", "zen", "excavator": 1
        case "unknown", "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
             "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "sandybridge", "bobcat", "bulldozer",
             "piledriver", "steamroller":
            0
        default: nil
        }
    }

    /// The core OpenBLAS should load instead of `core` on a CPU with `features`, or nil to keep `core`.
    ///
    /// `SkylakeX` where the CPU has AVX-512 F, BW, DQ and VL and `core` uses less; else `Haswell` where it has AVX2
    /// and FMA and `core` is older than that; nil when `core` already uses what the CPU has, or is a name this
    /// table does not know (a newer OpenBLAS's, or another architecture's: it knows better).
    public static func wantedCore(replacing core: String, features: ProcessorInfo.Features) -> String? {
        guard let tier = tier(of: core) else { return nil }
        if features.isSuperset(of: .avx512Class) && tier < 2 { return "SkylakeX" }
        if features.isSuperset(of: .avx2Class) && tier < 1 { return "Haswell" }
        return nil
    }

    /// The CPU the numeric kernels (SSIM, the network's own loops) were compiled for: `skylake-avx512` or
    /// `haswell` when the building machine had those (Package.swift), else the architecture's baseline.
    public static var buildTarget: String {
        #if WIDE_VECTORS
        "skylake-avx512"
        #elseif FUSED_MULTIPLY_ADD && arch(x86_64)
        "haswell"
        #elseif arch(x86_64)
        "x86-64 (baseline)"
        #elseif arch(arm64)
        "arm64 (NEON)"
        #else
        "baseline"
        #endif
    }
}
