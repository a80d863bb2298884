/** Builders for the two kinds of figure most benchmarks report: times (lower is better) and rates (higher is better). */
import type { Figure } from './types';

type Build = (key: string, label: string, role: Figure['role'], runs: number[], extra?: Partial<Figure>) => Figure;

const figure =
  (unit: Figure['unit'], better: Figure['better']): Build =>
  (key, label, role, runs, extra = {}) => ({ key, label, unit, better, role, runs, ...extra });

/** A duration in milliseconds. */
export const msFigure = figure('ms', 'lower');
/** Messages (or pushes) per second. */
export const rateFigure = figure('msg/s', 'higher');
