/* Draws the book's Plotly figures from the JSON placed beside each one, and keeps their
 * colours in step with the theme's light/dark switch (the data-theme attribute of <html>).
 * Loaded, after plotly.min.js, only on pages that contain a figure. */
(function () {
  "use strict";

  var DARK = {
    paper: "#1e1e1e", plot: "#1e1e1e", font: "#e3e3e3",
    grid: "#3a3a3a", line: "#9a9a9a", legend: "rgba(30,30,30,0.8)"
  };

  function axisNames(layout) {
    var names = Object.keys(layout).filter(function (k) { return /^[xy]axis\d*$/.test(k); });
    if (names.indexOf("xaxis") < 0) { names.push("xaxis"); }
    if (names.indexOf("yaxis") < 0) { names.push("yaxis"); }
    return names;
  }

  function get(obj, path) {
    return path.split(".").reduce(function (o, k) { return o == null ? undefined : o[k]; }, obj);
  }

  function themedUpdate(div, dark) {
    var layout = div.layout;
    var update = {};
    var saved = div.gdtLight || {};
    function set(path, darkValue) {
      if (dark) {
        if (!(path in saved)) { saved[path] = get(layout, path); }
        update[path] = darkValue;
      } else if (path in saved) {
        update[path] = saved[path] === undefined ? null : saved[path];
      }
    }
    set("paper_bgcolor", DARK.paper);
    set("plot_bgcolor", DARK.plot);
    set("font.color", DARK.font);
    set("title.font.color", DARK.font);
    set("legend.bgcolor", DARK.legend);
    set("legend.font.color", DARK.font);
    axisNames(layout).forEach(function (axis) {
      set(axis + ".gridcolor", DARK.grid);
      set(axis + ".zerolinecolor", DARK.grid);
      set(axis + ".linecolor", DARK.line);
      set(axis + ".tickfont.color", DARK.font);
      set(axis + ".title.font.color", DARK.font);
    });
    div.gdtLight = saved;
    return update;
  }

  function isDark() {
    return document.documentElement.getAttribute("data-theme") === "dark";
  }

  function applyTheme(div) {
    if (!div.layout) { return; }
    var update = themedUpdate(div, isDark());
    if (Object.keys(update).length) { window.Plotly.relayout(div, update); }
  }

  function draw(container) {
    var div = container.querySelector(".gdt-plotly");
    var source = container.querySelector("script.gdt-figure-data");
    if (!div || !source || div.getAttribute("data-drawn")) { return; }
    var figure = JSON.parse(source.textContent);
    var config = { responsive: true, displaylogo: false };
    window.Plotly.newPlot(div, figure.data || [], figure.layout || {}, config)
      .then(function () {
        if (figure.frames && figure.frames.length) {
          return window.Plotly.addFrames(div, figure.frames);
        }
      })
      .then(function () {
        div.setAttribute("data-drawn", "true");
        applyTheme(div);
      });
  }

  function drawAll() {
    if (!window.Plotly) { return; }
    document.querySelectorAll(".gdt-figure").forEach(draw);
    new MutationObserver(function () {
      document.querySelectorAll(".gdt-figure .gdt-plotly[data-drawn]").forEach(applyTheme);
    }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
