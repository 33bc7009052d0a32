import Testing
import Similarity

/// Which OpenBLAS kernels a CPU deserves (the decision behind the command line's start-up correction), and the
/// reading of /proc/cpuinfo it is made from.
@Suite struct LinearAlgebraCoreTests {
    static let avx512: ProcessorInfo.Features = [.avx2, .fma, .avx512f, .avx512bw, .avx512dq, .avx512vl, .avx512cd]

    @Test func anOlderCoreIsReplacedByTheBestTheCPURuns() {
        // Debian's 0.3.21 on a 2023 Xeon (family 6, model 207): Prescott, on a CPU with AVX-512.
        #expect(LinearAlgebraCore.wantedCore(replacing: "Prescott", features: Self.avx512) == "SkylakeX")
        #expect(LinearAlgebraCore.wantedCore(replacing: "Haswell", features: Self.avx512) == "SkylakeX")
        #expect(LinearAlgebraCore.wantedCore(replacing: "Zen", features: Self.avx512) == "SkylakeX")
        #expect(LinearAlgebraCore.wantedCore(replacing: "SANDYBRIDGE", features: Self.avx512) == "SkylakeX")
        #expect(LinearAlgebraCore.wantedCore(replacing: "Prescott", features: [.avx2, .fma]) == "Haswell")
        #expect(LinearAlgebraCore.wantedCore(replacing: "Nehalem", features: [.avx2, .fma, .avx512f]) == "Haswell", "AVX-512 F alone is not SkylakeX's set")
    }

    @Test func aCoreThatUsesWhatTheCPUHasIsKept() {
        for core in ["SkylakeX", "Cooperlake", "SapphireRapids"] {
            #expect(LinearAlgebraCore.wantedCore(replacing: core, features: Self.avx512) == nil, "\(core)")
        }
        #expect(LinearAlgebraCore.wantedCore(replacing: "Haswell", features: [.avx2, .fma]) == nil)
        #expect(LinearAlgebraCore.wantedCore(replacing: "Zen", features: [.avx2, .fma]) == nil)
        #expect(LinearAlgebraCore.wantedCore(replacing: "Prescott", features: [.avx2]) == nil, "AVX2 without FMA: nothing better")
        #expect(LinearAlgebraCore.wantedCore(replacing: "Prescott", features: []) == nil)
        // A name this table does not know: a newer OpenBLAS's core, or another architecture's (ARMV8, NEOVERSEN1).
        #expect(LinearAlgebraCore.wantedCore(replacing: "GraniteRapids", features: Self.avx512) == nil)
        #expect(LinearAlgebraCore.wantedCore(replacing: "NEOVERSEN1", features: Self.avx512) == nil)
    }

    @Test func readsTheFirstProcessorOfProcCpuinfo() {
        let text = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            cpu family\t: 6
            model\t\t: 207
            model name\t: Intel(R) Xeon(R) Processor
            flags\t\t: fpu sse3 fma avx avx2 avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16

            processor\t: 1
            vendor_id\t: OtherVendor
            flags\t\t: fpu

            """
        let cpu = ProcessorInfo(cpuinfo: text)
        #expect(cpu.vendor == "GenuineIntel" && cpu.family == 6 && cpu.model == 207 && cpu.modelName == "Intel(R) Xeon(R) Processor")
        #expect(cpu.features == Self.avx512)
        #expect(cpu.features.names == ["avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"])
        let old = ProcessorInfo(cpuinfo: "vendor_id : AuthenticAMD\nflags : fpu sse3 avx fma\n")
        #expect(old.features == [.fma] && old.family == nil && old.modelName == "unknown")
        #expect(ProcessorInfo(cpuinfo: "").features.isEmpty)
    }

    @Test func theRunningCoreIsNamed() {
        #expect(!LinearAlgebraCore.current.isEmpty && LinearAlgebraCore.configuration.contains("OpenBLAS"))
    }
}
