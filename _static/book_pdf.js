// The download menu (top right of every page): a first item "整本书 PDF" that links to the whole-book PDF
// (cnnbook.pdf next to index.html, built by scripts/build_pdf.sh), and the theme's ".pdf" item, which
// prints only the current page, relabelled "打印本页".
document.addEventListener("DOMContentLoaded", function () {
  var menu = document.querySelector(".dropdown-download-buttons .dropdown-menu");
  if (!menu || menu.querySelector(".btn-download-book-pdf")) return;
  var root = document.documentElement.getAttribute("data-content_root") || "";
  var item = document.createElement("li");
  var link = document.createElement("a");
  link.href = root + "cnnbook.pdf";
  link.className = "btn btn-sm btn-download-book-pdf dropdown-item";
  link.title = "下载整本书的 PDF（全部章节、图、公式、练习与解答）";
  link.innerHTML = '<span class="btn__icon-container"><i class="fas fa-file-pdf"></i></span>' +
                   '<span class="btn__text-container">整本书 PDF</span>';
  item.appendChild(link);
  menu.insertBefore(item, menu.firstChild);
  var print = menu.querySelector(".btn-download-pdf-button .btn__text-container");
  if (print) print.textContent = "打印本页";
});
