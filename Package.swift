// swift-tools-version: 6.0
import Foundation
import PackageDescription

/// Flags for the numeric kernels (Similarity): optimised even in debug builds, and on an x86-64 machine
/// with AVX2 and FMA compiled for it (Haswell, 2013, and later; with AVX-512 for Skylake-SP, 2017), so the
/// hand-written loops use 256-bit (512-bit) vectors and fused multiply-adds in every build the tests run,
/// not only in `make release`. The result
/// runs on the building machine's kind of CPU, like `-march=native`: set FRAMEDEDUPE_PORTABLE=1 to build
/// for baseline x86-64 (then the kernels multiply and add separately; results differ by rounding only).
let kernelSettings: [SwiftSetting] = {
    var settings: [SwiftSetting] = [.unsafeFlags(["-O"])]
    #if arch(x86_64)
    let portable = ProcessInfo.processInfo.environment["FRAMEDEDUPE_PORTABLE"] == "1"
    let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
        .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? []
    if !portable && ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"].allSatisfy(flags.contains) {
        // AVX-512 (Skylake-SP, 2017, and later): the depthwise loops use 16-lane vectors (WIDE_VECTORS).
        settings += [.unsafeFlags(["-target-cpu", "skylake-avx512"]), .define("FUSED_MULTIPLY_ADD"), .define("WIDE_VECTORS")]
    } else if !portable && flags.contains("avx2") && flags.contains("fma") {
        settings += [.unsafeFlags(["-target-cpu", "haswell"]), .define("FUSED_MULTIPLY_ADD")]
    }
    #elseif arch(arm64)
    settings.append(.define("FUSED_MULTIPLY_ADD"))  // NEON always has FMA
    #endif
    return settings
}()

let package = Package(
    name: "framededupe",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "framededupe", targets: ["FrameDedupeCLI"]),
        .library(name: "FrameDedupe", targets: ["FrameDedupe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // SQLite for the corpus index (issue 8); needs Debian's libsqlite3-dev (the Makefile installs it).
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat libavcodec libswscale libavutil",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Plain pixel buffers shared by the decoder (which fills them) and the scorers (which read them).
        .target(name: "Pixels"),
        .target(name: "Decoder", dependencies: ["CFFmpeg", "Pixels"]),
        // The numeric kernels (SSIM, the network) are optimised even in debug builds: unoptimised they run
        // 20–50× slower, which would make the test suite (which runs the real network) take many minutes.
        .target(name: "Similarity", dependencies: ["COpenBLAS", "Pixels"], swiftSettings: kernelSettings),
        .target(name: "FrameDedupe", dependencies: ["Decoder", "Similarity", "Pixels"]),
        // Cross-video deduplication over a persistent index of scenes (SQLite through GRDB).
        // -enable-testing: its tests use internals (@testable), and the benchmark scripts build the tests in release.
        .target(
            name: "Corpus", dependencies: ["FrameDedupe", "Decoder", "Similarity", "Pixels", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: [.unsafeFlags(["-enable-testing"])]
        ),
        // Developer tools, not shipped in the library: ground truth and its metrics (eval), the threshold sweep (tune).
        .target(name: "FrameDedupeEvaluation", dependencies: ["FrameDedupe", "Similarity"]),
        .executableTarget(
            name: "FrameDedupeCLI",
            dependencies: [
                "FrameDedupe", "Corpus", "Decoder", "Similarity", "FrameDedupeEvaluation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Fixture builders (real ffmpeg) and helpers shared by the test targets; not API.
        .target(name: "_FrameDedupeTestSupport", path: "Sources/_FrameDedupeTestSupport"),
        .testTarget(name: "DecoderTests", dependencies: ["Decoder", "_FrameDedupeTestSupport"]),
        .testTarget(name: "SimilarityTests", dependencies: ["Similarity", "Decoder", "Pixels", "_FrameDedupeTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FrameDedupeTests", dependencies: ["FrameDedupe", "Decoder", "Pixels", "Similarity", "_FrameDedupeTestSupport"]),
        .testTarget(name: "FrameDedupeEvaluationTests", dependencies: ["FrameDedupeEvaluation", "FrameDedupe", "Decoder", "Similarity", "_FrameDedupeTestSupport"]),
        .testTarget(
            name: "CorpusTests",
            dependencies: ["Corpus", "FrameDedupe", "Decoder", "Similarity", "Pixels", "_FrameDedupeTestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "FrameDedupeCLITests", dependencies: ["FrameDedupe", "_FrameDedupeTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
