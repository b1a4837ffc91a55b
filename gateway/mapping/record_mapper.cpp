#include "gateway/mapping/record_mapper.hpp"

namespace ketenpoort {
namespace {

class Mapper {
 public:
  Mapper(const FlowDefinition& flow, MappingOutcome& out) : flow_(flow), out_(out) {}

  void walk(const SourceNode& node, int tree_index, std::string& source_path) {
    const SourcePathNode& tree = flow_.source_tree[static_cast<std::size_t>(tree_index)];
    // Occurrences of each child name so far, for indices and for "only once".
    std::vector<std::pair<const std::string*, std::size_t>> seen;
    for (const SourceNode& child : node.children) {
      std::size_t occurrence = 0;
      for (auto& [name, count] : seen) {
        if (*name == child.name) occurrence = ++count;
      }
      if (occurrence == 0) seen.emplace_back(&child.name, 0);

      const std::size_t path_length = source_path.size();
      source_path += '/';
      source_path += child.name;
      const int next = childNamed(tree, child.name);
      if (next < 0) {
        collectUnmapped(child, source_path);
      } else {
        const SourcePathNode& sub = flow_.source_tree[static_cast<std::size_t>(next)];
        if (!sub.repeated && occurrence > 0) {
          error(source_path + " may appear only once");
        } else {
          if (sub.repeated) {
            source_path += '[';
            source_path += std::to_string(occurrence);
            source_path += ']';
            indices_.push_back(occurrence);
          }
          if (sub.mapping >= 0) {
            emit(flow_.mappings[static_cast<std::size_t>(sub.mapping)], child, source_path);
          } else {
            if (!child.text.empty()) out_.record.unmapped_paths.push_back(source_path);
            if (const char* problem = textProblem(child.text)) error(source_path + " " + problem);
            walk(child, next, source_path);
          }
          if (sub.repeated) indices_.pop_back();
        }
      }
      source_path.resize(path_length);
    }
  }

 private:
  int childNamed(const SourcePathNode& tree, const std::string& name) const {
    for (int child : tree.children) {
      if (flow_.source_tree[static_cast<std::size_t>(child)].name == name) return child;
    }
    return -1;
  }

  void emit(const SourceMapping& mapping, const SourceNode& node, const std::string& source_path) {
    if (!node.children.empty()) {
      error(source_path + " must be a value, not a group");
      return;
    }
    if (node.text.empty()) return;  // an empty element is an absent value
    if (const char* problem = textProblem(node.text)) {
      error(source_path + " (" + mapping.field->id + ") " + problem);
      return;
    }
    if (auto problem = checkFieldValue(*mapping.field, node.text)) {
      error(source_path + " (" + mapping.field->id + "): " + *problem);
      return;
    }
    // Fill the "[]" of the canonical field id with the indices met on the way down.
    std::string path;
    path.reserve(mapping.to.size() + 8);
    std::size_t next_index = 0;
    for (std::size_t i = 0; i < mapping.to.size(); ++i) {
      if (mapping.to[i] == '[' && i + 1 < mapping.to.size() && mapping.to[i + 1] == ']') {
        path += '[';
        path += std::to_string(indices_[next_index++]);
        path += ']';
        ++i;
      } else {
        path += mapping.to[i];
      }
    }
    out_.record.values.push_back({mapping.field, std::move(path), node.text});
  }

  // Content the mapping does not know is withheld, never forwarded; still, a document
  // whose bytes are not text is refused whole. Its names came from the sender, so the
  // error counts rather than names them.
  void collectUnmapped(const SourceNode& node, std::string& source_path) {
    if (!node.text.empty()) out_.record.unmapped_paths.push_back(source_path);
    if (!unmapped_text_refused_ && (textProblem(node.name) || textProblem(node.text))) {
      unmapped_text_refused_ = true;
      error("an element the mapping does not know is not valid text (UTF-8 without control characters)");
    }
    for (const SourceNode& child : node.children) {
      const std::size_t length = source_path.size();
      source_path += '/';
      source_path += child.name;
      collectUnmapped(child, source_path);
      source_path.resize(length);
    }
  }

  void error(std::string message) { out_.errors.push_back(std::move(message)); }

  const FlowDefinition& flow_;
  MappingOutcome& out_;
  std::vector<std::size_t> indices_;
  bool unmapped_text_refused_ = false;
};

}  // namespace

MappingOutcome mapSourceDocument(const FlowDefinition& flow, const SourceNode& document) {
  MappingOutcome out;
  if (document.name != flow.source_root) {
    out.errors.push_back("the document's root must be <" + flow.source_root + ">, found another");
    return out;
  }
  out.record.values.reserve(flow.mappings.size());
  std::string source_path;
  source_path.reserve(128);
  Mapper(flow, out).walk(document, 0, source_path);
  return out;
}

}  // namespace ketenpoort
