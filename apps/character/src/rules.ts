/** How scans turn into XP, levels and badges. */

export const XP_PER_SCAN = 10;
/** Extra XP when the item was classified into a category. */
export const XP_CLASSIFIED = 5;
/** Extra XP the first time a user sorts an item of a category. */
export const XP_NEW_CATEGORY = 15;
/** XP needed per level: level n starts at XP_PER_LEVEL * (n - 1). */
export const XP_PER_LEVEL = 100;

export function xpForScan(category: string | null, firstOfCategory: boolean): number {
  return XP_PER_SCAN + (category ? XP_CLASSIFIED : 0) + (category && firstOfCategory ? XP_NEW_CATEGORY : 0);
}

export function levelOf(xp: number): { level: number; levelXp: number; nextLevelXp: number } {
  const level = Math.floor(xp / XP_PER_LEVEL) + 1;
  return { level, levelXp: (level - 1) * XP_PER_LEVEL, nextLevelXp: level * XP_PER_LEVEL };
}

export interface BadgeSpec {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /** Earned once the user has at least this many scans and this many categories. */
  readonly minScans: number;
  readonly minCategories: number;
}

export const BADGES: readonly BadgeSpec[] = [
  {
    id: 'first-scan',
    name: 'First scan',
    description: 'Sorted a first item.',
    minScans: 1,
    minCategories: 0,
  },
  { id: 'ten-scans', name: 'Regular', description: 'Sorted 10 items.', minScans: 10, minCategories: 0 },
  { id: 'fifty-scans', name: 'Dedicated', description: 'Sorted 50 items.', minScans: 50, minCategories: 0 },
  {
    id: 'explorer',
    name: 'Explorer',
    description: 'Sorted items of 5 different categories.',
    minScans: 0,
    minCategories: 5,
  },
];
