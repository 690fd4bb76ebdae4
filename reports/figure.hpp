// A picture in the report (a gnuplot chart or a Graphviz diagram): the SVG
// when it could be drawn, otherwise the note shown in its place.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace enso::reports {

struct Figure {
    std::string id; // also the SVG's file name: <id>.svg
    std::string title;
    std::string caption;  // how to read it
    std::string svg;      // empty when not drawn
    std::string note;     // why it is not drawn (tool missing, no data)
    bool no_data = false; // nothing in this run to draw

    [[nodiscard]] bool drawn() const { return !svg.empty(); }
    [[nodiscard]] std::string file_name() const { return id + ".svg"; }
};

// Every picture of one report, by section.
struct FigureSet {
    std::vector<Figure> charts;
    Figure topology;
    std::optional<Figure> verification;
    std::vector<Figure> counterexamples;
};

} // namespace enso::reports
