import { detectLang, translate } from '../src/i18n';

describe('i18n', () => {
  it('fills placeholders in both languages', () => {
    expect(translate('en', 'guessed', { name: 'Ann', points: 120 })).toBe('Ann guessed the word! (+120)');
    expect(translate('ko', 'guessed', { name: '민지', points: 80 })).toBe('민지 님이 정답을 맞혔어요! (+80)');
  });
  it('leaves an unknown placeholder visible instead of printing undefined', () => {
    expect(translate('en', 'isDrawing')).toBe('{name} is drawing');
  });
  it('picks Korean or English from the browser languages, English otherwise', () => {
    expect(detectLang(['ko-KR', 'en-US'])).toBe('ko');
    expect(detectLang(['fr-FR', 'en-GB'])).toBe('en');
    expect(detectLang(['de-DE'])).toBe('en');
    expect(detectLang([])).toBe('en');
  });
});
