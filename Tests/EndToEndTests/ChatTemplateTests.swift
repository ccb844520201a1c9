import XCTest
@testable import Sluice

/// The chat formats, recognized from a Jinja template's markers (or, for Gemma, the vocabulary):
/// each turn's text as the model's own template renders it.
final class ChatTemplateTests: XCTestCase {
    func testStyles() throws {
        let gemma = try XCTUnwrap(ChatTemplate(jinja: "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ m.role }}\n"))
        XCTAssertEqual(gemma.userTurn("Hi", first: true), "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n")
        XCTAssertEqual(gemma.endOfTurn, "<end_of_turn>")
        XCTAssertEqual(gemma.afterTurn, "\n")

        let llama = try XCTUnwrap(ChatTemplate(jinja: "{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' }}"))
        XCTAssertEqual(llama.userTurn("Hi", first: true),
                       "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
        XCTAssertEqual(llama.endOfTurn, "<|eot_id|>")
        XCTAssertEqual(llama.afterTurn, "")

        let chatML = try XCTUnwrap(ChatTemplate(jinja: "<|im_start|>system\nYou are kind.<|im_end|>\n{% for m in messages %}<|im_start|>"))
        XCTAssertEqual(chatML.userTurn("Hi", first: true),
                       "<|im_start|>system\nYou are kind.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertEqual(chatML.endOfTurn, "<|im_end|>")

        XCTAssertNil(ChatTemplate(jinja: "{{ messages }}"))
        XCTAssertNotNil(ChatTemplate(vocabularyHas: { ["<start_of_turn>", "<end_of_turn>"].contains($0) }))
        XCTAssertNil(ChatTemplate(vocabularyHas: { $0 == "<start_of_turn>" }))
    }
}
