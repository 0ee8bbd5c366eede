"""Page state that works the same on every page: URL -> widgets -> config -> URL.

- A preset in the URL (a lesson's Try-it link, a shared address) always wins.
- Otherwise the page shows what this session last had there, or the defaults.
- The address bar always holds the settings that differ from the defaults, so it can be shared.
- A section's run changes only the widgets it draws, and a section that reruns after the learner has
  left the page changes nothing.
"""

from functools import cached_property

import streamlit as st

from ui.params import ChoiceEach, ChoiceList, Number, Param, Text, read, to_query

SHOWN = "page_shown"  # session key: the url path of the page the latest full run showed


def note_page(url_path: str) -> None:
    """Called by the entry point before each page run, so that a section rerunning after its page was left can tell."""
    st.session_state[SHOWN] = url_path


class PageState:
    """The widgets of one page, drawn from its parameter spec; session keys carry the page's prefix."""

    def __init__(self, prefix: str, spec: dict[str, Param]):
        self.prefix, self.spec = prefix, spec
        self._saved = prefix + "saved"  # widget values kept across pages; Streamlit drops those not shown
        self._written = prefix + "query"  # the query this page last wrote into the address bar
        self._presets = prefix + "presets"  # how many preset links this session has opened here
        self._linked = prefix + "linked"  # the widget keys the latest preset link (or set()) gave values
        self._drawn: set[str] = set()  # widget keys drawn since the last sync: the only values a run may change
        self._visit = prefix + "visit"  # the page shown when this page last started: this one, unless left since

    def key(self, name: str, i: int | None = None) -> str:
        return f"{self.prefix}{name}" if i is None else f"{self.prefix}{name}_{i}"

    def start(self) -> list[str]:
        """Fill the widget state before any widget is drawn; returns notes on URL values that were ignored."""
        query = st.query_params.to_dict()
        state = st.session_state
        notes = []
        state[self._visit] = state.get(SHOWN)
        if query and query != state.get(self._written):  # a link or a shared address: its values win
            state[self._presets] = self.presets + 1
            values, notes = read(self.spec, query)
            state[self._linked] = self._keys_of(query)
            for key, value in self._widget_values(values).items():
                state[key] = value
            state[self._saved] = self._widget_values(values)
        else:
            saved = state[self._saved] = state.get(self._saved) or self._widget_values(read(self.spec, {})[0])
            for key, value in saved.items():
                if key not in state:
                    state[key] = value
        self.sync()
        return notes

    def linked(self, keys=None) -> bool:
        """Whether the latest preset link (or `set()`) gave any of these widget keys a value (any, if None)."""
        linked = st.session_state.get(self._linked, set())
        return bool(linked) if keys is None else not linked.isdisjoint(keys)

    def drawn(self) -> frozenset[str]:
        """The widget keys drawn since the last sync: a section's own, read before its sync."""
        return frozenset(self._drawn)

    def _keys_of(self, names) -> set[str]:
        keys = set()
        for name in names:
            param = self.spec.get(name)
            if isinstance(param, ChoiceEach):
                keys |= {self.key(name, i) for i in range(1, param.max_items + 1)}
            elif param is not None:
                keys.add(self.key(name))
        return keys

    @property
    def presets(self) -> int:
        """How many preset links this session has opened on the page: training panels retrain on a new one."""
        return st.session_state.get(self._presets, 0)

    def widget(self, name: str, where=st, **options):
        """Draw the parameter's widget (in `where`, e.g. a column) and return its value."""
        param, key = self.spec[name], self.key(name)
        self._undo_blank_values()
        self._drawn.add(key)
        display = {"format_func": param.display} if getattr(param, "display", None) else {}
        if isinstance(param, Number):
            if param.allowed:
                return where.select_slider(param.label, param.allowed, key=key, help=param.help or None,
                                           **display, **options)
            kind = where.number_input if param.box else where.slider
            low, high = (int(param.low), int(param.high)) if param.integer else (param.low, param.high)
            step = param.step if param.step is None or not param.integer else int(param.step)
            if param.box and not param.integer:
                options.setdefault("format", "%g")  # a learning rate of 0.0003 must not show as 0.00
            return kind(param.label, low, high, step=step, key=key, help=param.help or None, **options)
        if isinstance(param, ChoiceList):
            return tuple(where.multiselect(param.label, param.options, key=key, help=param.help or None,
                                           **display, **options))
        if isinstance(param, Text):
            kind = where.text_area if param.area else where.text_input
            return kind(param.label, key=key, max_chars=param.max_length, help=param.help or None, **options)
        return where.selectbox(param.label, param.options, key=key, help=param.help or None, **display, **options)

    def set(self, **values) -> None:
        """Give widgets new values: call it from a button's on_click, which runs before the widgets are drawn.

        Like a preset link, it counts as a new preset, so sections that train on their own show the new settings.
        """
        state = st.session_state
        state[self._presets] = self.presets + 1
        state[self._linked] = self._keys_of(values)
        for name, value in values.items():
            if isinstance(self.spec[name], ChoiceEach):
                raise TypeError(f"{name}: set a per-item choice through its items' keys")
            state[self.key(name)] = list(value) if isinstance(value, tuple) else value
        state[self._saved] = state.get(self._saved, {}) | {self.key(name): state[self.key(name)] for name in values}

    def widgets_each(self, name: str, columns: int = 2) -> tuple[str, ...]:
        """A ChoiceEach parameter: one select box per item, laid out in columns."""
        param: ChoiceEach = self.spec[name]
        count = int(st.session_state[self.key(param.count)])
        cols = st.columns(columns)
        display = {"format_func": param.display} if param.display else {}
        self._undo_blank_values()
        self._drawn.update(self.key(name, i) for i in range(1, count + 1))
        return tuple(cols[(i - 1) % columns].selectbox(param.label.format(i=i), param.options, key=self.key(name, i),
                                                       **display) for i in range(1, count + 1))

    def values(self) -> dict:
        """Every parameter's current value (hidden items keep theirs)."""
        saved = st.session_state.get(self._saved, {}) | self._drawn_values()
        values = {}
        for name, param in self.spec.items():
            if isinstance(param, ChoiceEach):
                count = int(saved[self.key(param.count)])
                values[name] = tuple(saved[self.key(name, i)] for i in range(1, count + 1))
            else:
                value = saved[self.key(name)]
                values[name] = tuple(value) if isinstance(value, list) else value
        return values

    def sync(self) -> None:
        """Keep the widget values for later visits, and put those that differ from the defaults in the URL."""
        if st.session_state.get(SHOWN) != st.session_state.get(self._visit):
            st.stop()  # a section rerunning after the learner left the page: it must not keep or start anything
        st.session_state[self._saved] = st.session_state.get(self._saved, {}) | self._drawn_values()
        self._drawn.clear()
        query = to_query(self.spec, self.values())
        st.session_state[self._written] = query
        if query != st.query_params.to_dict():
            st.query_params.from_dict(query)

    def _undo_blank_values(self) -> None:
        """Put back kept values that the browser blanked, before this run draws their widgets.

        A learner changes one widget per interaction. When, besides, several of the page's widgets arrive
        at their blank values (a slider's minimum, a box's first option, empty text) at once, the browser
        sent them from widgets it was tearing down or remounting (after a page switch), not from the learner.
        """
        state, kept = st.session_state, st.session_state.get(self._saved) or {}
        blanked = [key for key, blank in self._blanks.items()
                   if key not in self._drawn and key in state and key in kept and state[key] != kept[key]
                   and _same(state[key], blank)]
        if len(blanked) >= 2:
            for key in blanked:
                state[key] = kept[key]

    @cached_property
    def _blanks(self) -> dict:
        """Each widget key's blank value: what its widget shows when it has no value of its own."""
        blanks = {}
        for name, param in self.spec.items():
            if isinstance(param, ChoiceEach):
                blanks |= {self.key(name, i): param.options[0] for i in range(1, param.max_items + 1)}
            elif isinstance(param, Number):
                low = param.allowed[0] if param.allowed else param.low
                blanks[self.key(name)] = int(low) if param.integer else low
            elif isinstance(param, ChoiceList):
                blanks[self.key(name)] = []
            elif isinstance(param, Text):
                blanks[self.key(name)] = ""
            else:
                blanks[self.key(name)] = param.options[0]
        return blanks

    def _drawn_values(self) -> dict:
        """The values of the widgets drawn since the last sync.

        Only these can have changed: a section's run cannot change another section's widgets. The values the
        browser sends for widgets a run does not draw can be stale (a section rerunning on its timer while
        the learner switches pages sends the page's other widgets half-torn-down, at their minimums).
        """
        return {key: st.session_state[key] for key in self._drawn if key in st.session_state}

    def _widget_values(self, values: dict) -> dict:
        """Session-state values for every widget key, from parameter values."""
        state = {}
        for name, param in self.spec.items():
            if isinstance(param, ChoiceEach):
                for i in range(1, param.max_items + 1):
                    state[self.key(name, i)] = param.item(values[name], i)
            else:
                value = values[name]
                state[self.key(name)] = list(value) if isinstance(value, tuple) else value
        return state


def _same(value, blank) -> bool:
    return list(value) == blank if isinstance(value, (list, tuple)) else value == blank
