import ArgumentParser
import Foundation
import Similarity

/// `framededupe doctor`: what this machine and build run the network with.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Print the CPU, its vector features, OpenBLAS's kernels and the build's target CPU.",
        discussion: """
            Most of the network's time is OpenBLAS's matrix products. OpenBLAS picks its kernels from the CPU's \
            family and model when it loads and takes a CPU newer than itself for an old one (SSE3 'Prescott' \
            kernels on an AVX-512 Xeon run the network about 3 times slower); framededupe then starts itself again \
            with OPENBLAS_CORETYPE set to the kernels the CPU can run (SkylakeX where it has AVX-512 F/BW/DQ/VL, \
            Haswell where it has AVX2 and FMA). An OPENBLAS_CORETYPE of your own is always kept. The 'BLAS kernels' \
            line says which kernels run and who chose them.
            """)

    func run() throws {
        let cpu = KernelChoice.processor()
        var model = cpu.modelName + " (" + cpu.vendor
        if let family = cpu.family, let number = cpu.model { model += ", family \(family), model \(number)" }
        model += "), \(ProcessInfo.processInfo.activeProcessorCount) cores"
        let features = cpu.features.names
        print("framededupe \(FrameDedupeCommand.configuration.version)")
        print("CPU: \(model)")
        print("CPU features: \(features.isEmpty ? "none of avx2, fma, avx512f/bw/dq/vl/cd" : features.joined(separator: " "))")
        print("BLAS kernels: \(KernelChoice.summary(processor: cpu))")
        print("OpenBLAS: \(LinearAlgebraCore.configuration)")
        print("Build target CPU: \(LinearAlgebraCore.buildTarget) (SSIM and the network's own loops)")
    }
}
