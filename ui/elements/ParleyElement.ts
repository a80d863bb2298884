/**
 * What every Parley element shares: the `client` property, the locale (its `locale` attribute,
 * then its `lang` attribute, then setLocale()'s default), a translator, and re-rendering when
 * locale tables change.
 */
import { LitElement, type PropertyDeclarations } from 'lit';
import type { ParleyClient } from '../../client/ParleyClient';
import { RerenderOn } from '../controllers/Subscription';
import { getLocale, onLocaleChange, translator, type Translate } from '../i18n/locale';

export class ParleyElement extends LitElement {
  static override properties: PropertyDeclarations = {
    client: { attribute: false },
    locale: { type: String, reflect: true },
  };

  /** The connected client (from connect()); the element renders empty until it is set. */
  declare client: ParleyClient | null;
  /** A locale tag ('en', 'zh-CN', or a name given to addLocale); '' = the `lang` attribute or the page default. */
  declare locale: string;

  constructor() {
    super();
    this.client = null;
    this.locale = '';
    new RerenderOn(this, [onLocaleChange]);
  }

  static override get observedAttributes(): string[] {
    return [...super.observedAttributes, 'lang'];
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    super.attributeChangedCallback(name, old, value);
    if (name === 'lang') this.requestUpdate();
  }

  /** The locale in effect. */
  get effectiveLocale(): string {
    return this.locale || this.getAttribute('lang') || getLocale();
  }

  protected get t(): Translate {
    return translator(this.effectiveLocale);
  }
}
