import ArgumentParser
import FrameDedupe

/// `--resume`: go on from where a killed or interrupted run of the same input stopped.
struct ResumeOptions: ParsableArguments {
    @Flag(help: ArgumentHelp(
        "Go on from the checkpoint a killed or interrupted run left in the output folder (.framededupe-checkpoint: the scenes closed and the embeddings computed so far) instead of starting afresh; the results are the same as an uninterrupted run's. A checkpoint made for another input, another version of it or other options is discarded (said on stderr). Not for standard input ('-'), URLs or --stats, which are analysed from the start."))
    var resume = false

    func apply(to options: inout DedupeOptions) { options.resume = resume }
}
