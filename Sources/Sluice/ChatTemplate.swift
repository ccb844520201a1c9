/// Chat formatting for the templates Sluice understands: ChatML (SmolLM2, Qwen and most small
/// models: `<|im_start|>role\ncontent<|im_end|>\n`, with a default system message when the
/// conversation starts without one, read from the template text), Gemma's turns
/// (`<start_of_turn>user\ncontent<end_of_turn>\n<start_of_turn>model\n`) and Llama 3's
/// (`<|start_header_id|>user<|end_header_id|>\n\ncontent<|eot_id|>`).
public struct ChatTemplate: Sendable {
    public enum Style: Sendable { case chatML, gemma, llama3 }
    public var style: Style
    public var defaultSystem: String?

    public init(style: Style, defaultSystem: String? = nil) {
        self.style = style
        self.defaultSystem = defaultSystem
    }

    /// The template of a model without one in its file, from its vocabulary: Gemma's turns
    /// where it has `<start_of_turn>` (llama.cpp's Gemma 3 GGUFs carry no template).
    public init?(vocabularyHas has: (String) -> Bool) {
        guard has("<start_of_turn>"), has("<end_of_turn>") else { return nil }
        self.init(style: .gemma)
    }

    /// Recognises ChatML or Gemma's turns in a Jinja `tokenizer.chat_template`; nil for
    /// other templates.
    public init?(jinja: String?) {
        guard let t = jinja else { return nil }
        if t.contains("<start_of_turn>") {
            style = .gemma
            return
        }
        if t.contains("<|start_header_id|>") {
            style = .llama3
            return
        }
        guard t.contains("<|im_start|>") else { return nil }
        style = .chatML
        // The newline after "system" may be a real one or a Jinja escape.
        for marker in ["<|im_start|>system\n", "<|im_start|>system\\n"] {
            if let r = t.range(of: marker), let end = t[r.upperBound...].range(of: "<|im_end|>") {
                defaultSystem = String(t[r.upperBound..<end.lowerBound])
                break
            }
        }
    }

    /// The text for one user turn; `first` adds the default system message (ChatML).
    public func userTurn(_ content: String, first: Bool) -> String {
        switch style {
        case .gemma:
            return "<start_of_turn>user\n\(content)<end_of_turn>\n<start_of_turn>model\n"
        case .llama3:
            return "<|start_header_id|>user<|end_header_id|>\n\n\(content)<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
        case .chatML:
            var s = ""
            if first, let sys = defaultSystem { s += "<|im_start|>system\n\(sys)<|im_end|>\n" }
            return s + "<|im_start|>user\n\(content)<|im_end|>\n<|im_start|>assistant\n"
        }
    }

    /// What follows a closed turn before the next one: a newline in ChatML and Gemma's turns,
    /// nothing in Llama 3's.
    public var afterTurn: String { style == .llama3 ? "" : "\n" }

    /// The token that closes a turn.
    public var endOfTurn: String {
        switch style {
        case .chatML: return "<|im_end|>"
        case .gemma: return "<end_of_turn>"
        case .llama3: return "<|eot_id|>"
        }
    }
}
