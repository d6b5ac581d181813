// Reads a function printed in MLIR's generic op form back into trace nodes (the output of a pass run on a cut).
#include "lib/Trace/Import.h"

#include "runtime/core/Error.h"

#include <sstream>
#include <unordered_map>

namespace kiln::trace {

namespace {

[[noreturn]] void malformed(const std::string &line, const char *what) {
  fail(ErrorKind::Runtime, "internal error: cannot read back the pass's IR (",
       what, "): ", line);
}

std::string trim(const std::string &text) {
  size_t begin = text.find_first_not_of(" \t");
  size_t end = text.find_last_not_of(" \t\r");
  return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

DType parseElement(const std::string &text, const std::string &line) {
  static const std::pair<const char *, DType> names[] = {
      {"f32", DType::Float32}, {"f64", DType::Float64}, {"f16", DType::Float16},
      {"bf16", DType::BFloat16}, {"i8", DType::Int8}, {"i32", DType::Int32},
      {"i64", DType::Int64}, {"ui8", DType::UInt8}, {"i1", DType::Bool}};
  for (const auto &[name, dtype] : names)
    if (text == name)
      return dtype;
  malformed(line, "element type");
}

// "tensor<2x3xf32>" -> (f32, [2, 3]).
void parseTensorType(const std::string &text, DType &dtype, IntList &sizes,
                     const std::string &line) {
  std::string type = trim(text);
  if (type.rfind("tensor<", 0) != 0 || type.back() != '>')
    malformed(line, "tensor type");
  std::string body = type.substr(7, type.size() - 8);
  sizes.clear();
  size_t start = 0;
  for (size_t x = body.find('x'); x != std::string::npos; x = body.find('x', start)) {
    sizes.push_back(std::stoll(body.substr(start, x - start)));
    start = x + 1;
  }
  dtype = parseElement(body.substr(start), line);
}

// The %names inside "(%a, %b)".
std::vector<std::string> parseNames(const std::string &list) {
  std::vector<std::string> names;
  std::stringstream stream(list);
  std::string item;
  while (std::getline(stream, item, ','))
    if (!trim(item).empty())
      names.push_back(trim(item));
  return names;
}

} // namespace

ParsedFunction parseFunction(const std::string &text) {
  ParsedFunction parsed;
  std::unordered_map<std::string, int> values;
  bool inBody = false;
  std::stringstream stream(text);
  std::string raw;
  while (std::getline(stream, raw)) {
    std::string line = trim(raw);
    if (line.rfind("^bb0(", 0) == 0) {
      // ^bb0(%arg0: tensor<...>, %arg1: tensor<...>):
      std::string list = line.substr(5, line.rfind(')') - 5);
      std::vector<std::string> items = parseNames(list);
      for (size_t i = 0; i < items.size(); ++i)
        values[items[i].substr(0, items[i].find(':'))] = static_cast<int>(i);
      parsed.arguments = static_cast<int>(items.size());
      inBody = true;
      continue;
    }
    if (!inBody)
      continue;
    if (line.rfind("\"func.return\"(", 0) == 0) {
      std::string list = line.substr(14, line.find(')') - 14);
      for (const std::string &name : parseNames(list)) {
        auto found = values.find(name);
        if (found == values.end())
          malformed(line, "unknown value");
        parsed.results.push_back(found->second);
      }
      return parsed;
    }
    if (line.empty() || line[0] != '%')
      continue;
    // %3 = "kiln.mul"(%1, %2) <{props}> : (tensor<..>, tensor<..>) -> tensor<..>
    size_t eq = line.find(" = \"");
    size_t opEnd = eq == std::string::npos ? eq : line.find('"', eq + 4);
    if (opEnd == std::string::npos || line[opEnd + 1] != '(')
      malformed(line, "op");
    std::string name = line.substr(0, eq);
    ParsedFunction::Op op;
    op.op = internOp(line.substr(eq + 4, opEnd - eq - 4));
    size_t operandsEnd = line.find(')', opEnd + 2);
    size_t signature = line.rfind(" : (");
    size_t arrow = line.rfind(" -> ");
    if (operandsEnd == std::string::npos || signature == std::string::npos ||
        arrow == std::string::npos || signature < operandsEnd)
      malformed(line, "signature");
    for (const std::string &operand :
         parseNames(line.substr(opEnd + 2, operandsEnd - opEnd - 2))) {
      auto found = values.find(operand);
      if (found == values.end())
        malformed(line, "unknown operand");
      op.inputs.push_back(found->second);
    }
    std::string props = trim(line.substr(operandsEnd + 1, signature - operandsEnd - 1));
    if (!props.empty()) {
      if (props.rfind("<{", 0) != 0 || props.size() < 4 ||
          props.compare(props.size() - 2, 2, "}>") != 0)
        malformed(line, "properties");
      op.attrs = props.substr(2, props.size() - 4);
    }
    parseTensorType(line.substr(arrow + 4), op.dtype, op.sizes, line);
    values[name] = parsed.arguments + static_cast<int>(parsed.ops.size());
    parsed.ops.push_back(std::move(op));
  }
  fail(ErrorKind::Runtime, "internal error: the pass's IR has no func.return");
}

std::vector<NodePtr> replayFunction(const ParsedFunction &parsed,
                                    const std::vector<NodePtr> &arguments) {
  if (static_cast<int>(arguments.size()) != parsed.arguments)
    fail(ErrorKind::Runtime, "internal error: the pass's IR takes ", parsed.arguments,
         " arguments, not ", arguments.size());
  std::vector<NodePtr> values(arguments);
  values.reserve(arguments.size() + parsed.ops.size());
  for (const ParsedFunction::Op &op : parsed.ops) {
    std::vector<NodePtr> inputs;
    inputs.reserve(op.inputs.size());
    for (int input : op.inputs)
      inputs.push_back(values[input]);
    values.push_back(record(op.op, std::move(inputs), op.dtype, op.sizes, op.attrs));
  }
  std::vector<NodePtr> results;
  for (int result : parsed.results)
    results.push_back(values[result]);
  return results;
}

std::vector<NodePtr> importFunction(const std::string &text,
                                    const std::vector<NodePtr> &arguments) {
  return replayFunction(parseFunction(text), arguments);
}

} // namespace kiln::trace
