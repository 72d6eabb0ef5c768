// Canvas drawing for the dashboard: the oscilloscope and an NPC's learning curve. Plain canvas, no library:
// a few hundred points a second need nothing more, and nothing has to be fetched from the internet.
"use strict";

const Charts = (() => {
  const style = () => getComputedStyle(document.documentElement);
  const colour = (name) => style().getPropertyValue(name).trim();

  // Domains of one category share its colour; each domain gets its own lightness within it.
  function domainColour(category, index) {
    const base = colour(`--domain-${category}`) || "#ccc";
    const shade = [0, -0.25, 0.25, -0.4, 0.4][index % 5];
    return shade === 0 ? base : mix(base, shade < 0 ? "#000000" : "#ffffff", Math.abs(shade));
  }

  function mix(a, b, amount) {
    const parse = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    const [x, y] = [parse(a), parse(b)];
    return `rgb(${x.map((v, i) => Math.round(v + (y[i] - v) * amount)).join(",")})`;
  }

  function grid(context, width, height, lines) {
    context.strokeStyle = "rgba(255,255,255,0.08)";
    context.lineWidth = 1;
    for (let i = 0; i <= lines; i++) {
      const y = Math.round((height - 1) * i / lines) + 0.5;
      context.beginPath();
      context.moveTo(0, y);
      context.lineTo(width, y);
      context.stroke();
    }
  }

  // waves: [{at, domain, category, confidence}], newest last. Returns the domains drawn, for the legend.
  function oscilloscope(canvas, waves, windowMs) {
    const context = canvas.getContext("2d");
    const { width, height } = canvas;
    context.clearRect(0, 0, width, height);
    grid(context, width, height, 4);
    const now = Date.now();
    const byDomain = new Map();
    for (const wave of waves) {
      const t = Date.parse(wave.at);
      if (now - t > windowMs) continue;
      if (!byDomain.has(wave.domain)) byDomain.set(wave.domain, { category: wave.category, points: [] });
      byDomain.get(wave.domain).points.push([t, wave.confidence]);
    }

    let drawn = 0;
    const legend = [];
    const perCategory = new Map();
    for (const [domain, { category, points }] of [...byDomain].sort((a, b) => a[0].localeCompare(b[0]))) {
      const index = perCategory.get(category) ?? 0;
      perCategory.set(category, index + 1);
      const stroke = domainColour(category, index);
      const x = (t) => width - (now - t) / windowMs * width;
      const y = (c) => height - 4 - c * (height - 8);
      context.strokeStyle = stroke;
      context.fillStyle = stroke;
      context.lineWidth = 1.5;
      context.beginPath();
      points.forEach(([t, c], i) => (i === 0 ? context.moveTo(x(t), y(c)) : context.lineTo(x(t), y(c))));
      context.stroke();
      for (const [t, c] of points) {
        context.fillRect(x(t) - 1.5, y(c) - 1.5, 3, 3);
      }

      drawn += points.length;
      legend.push({ domain, category, colour: stroke, last: points[points.length - 1][1] });
    }

    canvas.dataset.points = String(drawn);
    return legend;
  }

  // points: [{at, success_rate, reward_rate}]: success on 0..1, reward scaled to its own range.
  function learningCurve(canvas, points) {
    const context = canvas.getContext("2d");
    const { width, height } = canvas;
    context.clearRect(0, 0, width, height);
    grid(context, width, height, 4);
    canvas.dataset.points = String(points.length);
    if (points.length === 0) return;
    const times = points.map((p) => Date.parse(p.at));
    const [first, last] = [Math.min(...times), Math.max(...times)];
    const span = Math.max(1, last - first);
    const rewards = points.map((p) => p.reward_rate);
    const [low, high] = [Math.min(0, ...rewards), Math.max(1e-9, ...rewards)];
    const x = (t) => 4 + (t - first) / span * (width - 8);
    const line = (value, stroke) => {
      context.strokeStyle = stroke;
      context.lineWidth = 2;
      context.beginPath();
      points.forEach((p, i) => {
        const [px, py] = [x(times[i]), height - 4 - value(p) * (height - 8)];
        i === 0 ? context.moveTo(px, py) : context.lineTo(px, py);
      });
      context.stroke();
    };
    line((p) => p.success_rate, colour("--gate-open"));
    line((p) => (p.reward_rate - low) / (high - low), colour("--domain-cognitive"));
  }

  return { oscilloscope, learningCurve };
})();
