/** Deterministic synthetic collection points spread over Seoul's 25 districts (demo and benchmark data). */
import type { Category, PointInput } from './points';

/** District centres (approximate, WGS84) with Korean and English names. */
export const SEOUL_DISTRICTS: readonly { ko: string; en: string; lat: number; lng: number }[] = [
  { ko: '종로구', en: 'Jongno-gu', lat: 37.573, lng: 126.9794 },
  { ko: '중구', en: 'Jung-gu', lat: 37.5641, lng: 126.9979 },
  { ko: '용산구', en: 'Yongsan-gu', lat: 37.5326, lng: 126.9905 },
  { ko: '성동구', en: 'Seongdong-gu', lat: 37.5633, lng: 127.0371 },
  { ko: '광진구', en: 'Gwangjin-gu', lat: 37.5385, lng: 127.0823 },
  { ko: '동대문구', en: 'Dongdaemun-gu', lat: 37.5744, lng: 127.0396 },
  { ko: '중랑구', en: 'Jungnang-gu', lat: 37.6063, lng: 127.0925 },
  { ko: '성북구', en: 'Seongbuk-gu', lat: 37.5894, lng: 127.0167 },
  { ko: '강북구', en: 'Gangbuk-gu', lat: 37.6396, lng: 127.0257 },
  { ko: '도봉구', en: 'Dobong-gu', lat: 37.6688, lng: 127.0471 },
  { ko: '노원구', en: 'Nowon-gu', lat: 37.6542, lng: 127.0568 },
  { ko: '은평구', en: 'Eunpyeong-gu', lat: 37.6027, lng: 126.9291 },
  { ko: '서대문구', en: 'Seodaemun-gu', lat: 37.5791, lng: 126.9368 },
  { ko: '마포구', en: 'Mapo-gu', lat: 37.5663, lng: 126.9019 },
  { ko: '양천구', en: 'Yangcheon-gu', lat: 37.5169, lng: 126.8664 },
  { ko: '강서구', en: 'Gangseo-gu', lat: 37.5509, lng: 126.8495 },
  { ko: '구로구', en: 'Guro-gu', lat: 37.4954, lng: 126.8874 },
  { ko: '금천구', en: 'Geumcheon-gu', lat: 37.4569, lng: 126.8955 },
  { ko: '영등포구', en: 'Yeongdeungpo-gu', lat: 37.5264, lng: 126.8962 },
  { ko: '동작구', en: 'Dongjak-gu', lat: 37.5124, lng: 126.9393 },
  { ko: '관악구', en: 'Gwanak-gu', lat: 37.4784, lng: 126.9516 },
  { ko: '서초구', en: 'Seocho-gu', lat: 37.4837, lng: 127.0324 },
  { ko: '강남구', en: 'Gangnam-gu', lat: 37.5172, lng: 127.0473 },
  { ko: '송파구', en: 'Songpa-gu', lat: 37.5145, lng: 127.1059 },
  { ko: '강동구', en: 'Gangdong-gu', lat: 37.5301, lng: 127.1238 },
];

/** mulberry32: a small seeded generator, so the same seed always yields the same dataset. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS: readonly { categories: Category[]; ko: string; weight: number; hours: string[] }[] = [
  {
    categories: ['recycling'],
    ko: '재활용 정거장',
    weight: 40,
    hours: ['Daily 18:00-24:00', 'Mon-Sat 06:00-22:00'],
  },
  { categories: ['clothing'], ko: '의류수거함', weight: 20, hours: ['24h'] },
  {
    categories: ['battery', 'lamp'],
    ko: '폐건전지·폐형광등 수거함',
    weight: 15,
    hours: ['24h', 'Mon-Fri 09:00-18:00'],
  },
  { categories: ['battery'], ko: '폐건전지 수거함', weight: 8, hours: ['24h'] },
  {
    categories: ['e-waste', 'battery'],
    ko: '소형 폐가전 수거함',
    weight: 10,
    hours: ['Mon-Fri 09:00-18:00'],
  },
  {
    categories: ['large-item', 'e-waste'],
    ko: '대형폐기물 집하장',
    weight: 4,
    hours: ['Mon-Sat 09:00-17:00'],
  },
  {
    categories: ['recycling', 'clothing', 'battery', 'lamp'],
    ko: '자원순환센터',
    weight: 3,
    hours: ['Tue-Sun 10:00-18:00'],
  },
];
const TOTAL_WEIGHT = KINDS.reduce((s, k) => s + k.weight, 0);

/** `count` points, spread over the districts around their centres (about 1.5 km standard deviation). */
export function generateSeoulPoints(count: number, seed = 20251122): PointInput[] {
  const rnd = seededRandom(seed);
  const gauss = () => {
    const u = Math.max(rnd(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  };
  const out: PointInput[] = [];
  const perDistrict = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const d = SEOUL_DISTRICTS[i % SEOUL_DISTRICTS.length]!;
    let pick = rnd() * TOTAL_WEIGHT;
    const kind = KINDS.find((k) => (pick -= k.weight) < 0) ?? KINDS[0]!;
    const n = (perDistrict.get(d.en) ?? 0) + 1;
    perDistrict.set(d.en, n);
    const lat = d.lat + gauss() * 0.0135;
    const lng = d.lng + gauss() * 0.017;
    out.push({
      sourceId: `seoul-sample-${String(i + 1).padStart(6, '0')}`,
      name: `${d.ko} ${kind.ko} ${n}`,
      categories: kind.categories,
      address: `서울특별시 ${d.ko} 샘플로 ${1 + Math.floor(rnd() * 300)} (${d.en}, Seoul)`,
      lat: Math.round(lat * 1e6) / 1e6,
      lng: Math.round(lng * 1e6) / 1e6,
      openingHours: kind.hours[Math.floor(rnd() * kind.hours.length)]!,
    });
  }
  return out;
}

/** The points as a GeoJSON FeatureCollection, in the importer's format. */
export function toGeoJson(points: readonly PointInput[]): string {
  const features = points.map((p) => ({
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [p.lng, p.lat] },
    properties: {
      id: p.sourceId,
      name: p.name,
      categories: p.categories,
      address: p.address,
      opening_hours: p.openingHours,
    },
  }));
  return `{"type":"FeatureCollection","features":[\n${features.map((f) => JSON.stringify(f)).join(',\n')}\n]}\n`;
}
