import Testing
@testable import Corpus

@Suite("Corpus index")
struct CorpusIndexTests {}
